/*
 * Text in XML and HTML (junit.xml, the flame graphs' SVG, the report
 * page): valid UTF-8 whatever the input held, and only characters XML
 * 1.0 allows.
 */
#ifndef CB_FORMATS_XML_H
#define CB_FORMATS_XML_H

#include <stdbool.h>

#include "formats/buf.h"

/*
 * Appends s (NULL: nothing) with markup characters escaped (& < > always,
 * " and ' as well in an attribute), characters XML 1.0 forbids (most C0
 * controls, U+FFFE, U+FFFF) removed and invalid UTF-8 replaced by
 * U+FFFD. In an attribute, tab, newline and carriage return are written
 * as character references so that they survive attribute normalisation;
 * in text, a carriage return is too.
 */
void cb_xml_put(cb_buf *b, const char *s, bool attribute);

#endif
