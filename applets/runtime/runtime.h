/* kata-runtime's verbs, one file each; runtime.c holds the table. */
#ifndef KB_RUNTIME_H
#define KB_RUNTIME_H

#define RUNTIME_APPLET "kata-runtime"

int runtime_check(int argc, char **argv);
int runtime_spec(int argc, char **argv);

#endif
