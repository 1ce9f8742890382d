void shoal_linux_placeholder(void);
void shoal_linux_placeholder(void) {}
