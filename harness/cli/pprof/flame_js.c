/*
 * What a flame graph does in a browser, in the SVG itself (no file is
 * fetched): each box is a <g class="f"> with its original place in
 * data-x, data-w (pixels) and data-d (depth), its function in data-n
 * and its tooltip in <title>.
 *
 * Zoom: clicking a box widens it to the whole width; the boxes above it
 * inside it follow in proportion, its ancestors span the width (dimmed),
 * everything else is hidden; labels are cut again to their new widths.
 * "Reset zoom", or the bottom box, undoes it. Search: "Search" (or
 * Ctrl-F, F3) asks for a regular expression; boxes whose function
 * matches turn magenta, and the share of the total they make (each
 * sample once, a match inside a match not counted twice) shows at the
 * bottom right; searching again for "" clears it. The script keeps the
 * state in the document (the zoomed box has class "zoomed", matches
 * "match", hidden boxes "hide"), so a test can check it in the DOM.
 */
#include "pprof/flame_js.h"

const char cb_flame_css[] =
    "text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
    "#title{text-anchor:middle;font-size:17px}#subtitle{text-anchor:middle;fill:#555}"
    "#search,#matched{text-anchor:end}.button{cursor:pointer;fill:#36c}"
    ".hide{display:none}.f{cursor:pointer}.f:hover rect{stroke:#000;stroke-width:0.5}"
    ".parent{opacity:0.5}.f text{pointer-events:none}";

const char cb_flame_js[] =
    "(function(){\n"
    "var PAD=10,CW=7,svg=document.documentElement,W=+svg.getAttribute('width');\n"
    "var total=+svg.getAttribute('data-total'),frames,details,matched,unzoomBtn;\n"
    "function num(e,a){return parseFloat(e.getAttribute(a));}\n"
    "function label(g,w){var t=g.querySelector('text'),n=g.getAttribute('data-n');\n"
    " var fit=Math.floor((w-6)/CW);\n"
    " t.textContent=fit<3?'':n.length<=fit?n:n.substring(0,fit-2)+'..';}\n"
    "function place(g,x,w){var r=g.querySelector('rect'),t=g.querySelector('text');\n"
    " r.setAttribute('x',x.toFixed(2));r.setAttribute('width',w.toFixed(2));\n"
    " t.setAttribute('x',(x+3).toFixed(2));label(g,w);}\n"
    "function boxes(){return frames.querySelectorAll('g.f');}\n"
    "function zoom(z){var x=num(z,'data-x'),w=num(z,'data-w'),d=num(z,'data-d');\n"
    " var k=(W-2*PAD)/w,eps=1e-6;\n"
    " boxes().forEach(function(g){var gx=num(g,'data-x'),gw=num(g,'data-w'),gd=num(g,'data-d');\n"
    "  g.classList.remove('zoomed');g.classList.remove('parent');\n"
    "  if(gd<d&&gx<=x+eps&&gx+gw>=x+w-eps){g.classList.remove('hide');g.classList.add('parent');\n"
    "   place(g,PAD,W-2*PAD);}\n"
    "  else if(gd>=d&&gx>=x-eps&&gx+gw<=x+w+eps){g.classList.remove('hide');\n"
    "   place(g,PAD+(gx-x)*k,gw*k);}\n"
    "  else g.classList.add('hide');});\n"
    " z.classList.add('zoomed');\n"
    " if(d>0)unzoomBtn.classList.remove('hide');else unzoomBtn.classList.add('hide');}\n"
    "function unzoom(){boxes().forEach(function(g){g.classList.remove('hide');\n"
    "  g.classList.remove('parent');g.classList.remove('zoomed');\n"
    "  place(g,num(g,'data-x'),num(g,'data-w'));});\n"
    " unzoomBtn.classList.add('hide');}\n"
    "function search(term){var re;\n"
    " try{re=term?new RegExp(term):null;}catch(e){matched.textContent='Bad expression: '+e.message;return;}\n"
    " var spans=[];\n"
    " boxes().forEach(function(g){var r=g.querySelector('rect');\n"
    "  if(!r.hasAttribute('data-fill'))r.setAttribute('data-fill',r.getAttribute('fill'));\n"
    "  if(re&&re.test(g.getAttribute('data-n'))){g.classList.add('match');r.setAttribute('fill','rgb(230,0,230)');\n"
    "   spans.push([num(g,'data-x'),num(g,'data-w')]);}\n"
    "  else{g.classList.remove('match');r.setAttribute('fill',r.getAttribute('data-fill'));}});\n"
    " if(!re){matched.textContent=' ';return;}\n"
    " spans.sort(function(a,b){return a[0]-b[0]||b[1]-a[1];});\n"
    " var sum=0,end=-1;\n"
    " spans.forEach(function(s){if(s[0]>=end-1e-6){sum+=s[1];end=s[0]+s[1];}\n"
    "  else if(s[0]+s[1]>end){sum+=s[0]+s[1]-end;end=s[0]+s[1];}});\n"
    " var pct=100*sum/(W-2*PAD);\n"
    " matched.textContent='Matched: '+pct.toFixed(1)+'%';\n"
    " svg.setAttribute('data-matched',pct.toFixed(3));}\n"
    "function ask(){var t=window.prompt('Search for functions (regular expression):','');\n"
    " if(t!==null)search(t);}\n"
    "function init(){frames=document.getElementById('frames');\n"
    " details=document.getElementById('details');matched=document.getElementById('matched');\n"
    " unzoomBtn=document.getElementById('unzoom');\n"
    " frames.addEventListener('click',function(e){var g=e.target.closest('g.f');\n"
    "  if(!g)return;if(num(g,'data-d')==0)unzoom();else zoom(g);});\n"
    " frames.addEventListener('mouseover',function(e){var g=e.target.closest('g.f');\n"
    "  if(g)details.textContent=g.querySelector('title').textContent;});\n"
    " frames.addEventListener('mouseout',function(){details.textContent=' ';});\n"
    " unzoomBtn.addEventListener('click',unzoom);\n"
    " document.getElementById('search').addEventListener('click',ask);\n"
    " window.addEventListener('keydown',function(e){\n"
    "  if(e.keyCode===114||((e.ctrlKey||e.metaKey)&&e.keyCode===70)){e.preventDefault();ask();}});}\n"
    "if(document.readyState==='loading')window.addEventListener('DOMContentLoaded',init);else init();\n"
    "})();\n";
