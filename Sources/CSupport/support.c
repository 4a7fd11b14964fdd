#include "cnninte_support.h"

#include <signal.h>
#include <sys/prctl.h>

int cnninte_die_with_parent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}
