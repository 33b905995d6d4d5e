/* quire's entry point: everything lives in the internal library (cli.c). */
#include "qr_cli.h"

int main(int argc, char **argv)
{
    return qr_cli_main(argc, argv);
}
