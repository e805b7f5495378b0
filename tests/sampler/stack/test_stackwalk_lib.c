/*
 * A library for test_stackwalk, loaded with dlopen: a frame built
 * without frame pointers between the program and its callback.
 */
#define API __attribute__((visibility("default")))

API __attribute__((noinline)) void stackwalk_lib_through(void (*fn)(void *), void *arg)
{
    fn(arg);
    __asm__ volatile("" ::: "memory"); /* no tail call */
}
