/* An executable with the cbench note, for the discovery tests. */
#include "cbench/bench.h"

int main(void)
{
    CBENCH_MARK_BINARY_();
    return 0;
}
