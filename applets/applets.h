/* Every applet's entry point. The dispatch table is in main.c. */
#ifndef KB_APPLETS_H
#define KB_APPLETS_H

int agent_main(int argc, char **argv);
int boot_main(int argc, char **argv);
int image_main(int argc, char **argv);
int runtime_main(int argc, char **argv);
int shim_main(int argc, char **argv);

#endif
