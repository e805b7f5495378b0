/* End-to-end: an executable that is not a cbench test binary. Run, it
 * would fail: the command must skip it without running it. */
int main(void)
{
    return 3;
}
