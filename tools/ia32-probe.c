/* tools/ia32-probe.sh's probe: exits with 42 only when it runs as a 32-bit program, so an exit
 * code of 42 under Wine proves the machine executed 32-bit code (not only that Wine started). */
int main(void) { return sizeof(void *) == 4 ? 42 : 1; }
