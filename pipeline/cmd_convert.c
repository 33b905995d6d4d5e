/* placeholder replaced by the convert implementation */
#include "qr_cli.h"
#include <stdio.h>
int qr_cmd_convert(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("quire convert: not built yet\n", stderr);
    return QR_EXIT_FATAL;
}
