/* kata-image: pulls and unpacks images. Its commands arrive with their own
 * issue; until then it answers --version and says so clearly. */
#include <stdio.h>

#include "../../core/version.h"
#include "../applets.h"

int image_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "katabox: kata-image: no image commands are implemented yet in katabox %s\n",
            kb_version());
    return 1;
}
