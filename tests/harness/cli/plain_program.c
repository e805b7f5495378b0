/* An executable without the cbench note: the command must never run it. */
#include <stdio.h>

int main(void)
{
    FILE *f = fopen("plain_program_ran", "w");
    if (f)
        fclose(f);
    return 0;
}
