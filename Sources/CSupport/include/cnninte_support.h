// Small C helpers for what Swift cannot call directly (variadic C functions).
#ifndef CNNINTE_SUPPORT_H
#define CNNINTE_SUPPORT_H

/// Asks the kernel to send this process SIGKILL when its parent thread dies
/// (prctl(PR_SET_PDEATHSIG), which Swift cannot call: prctl is variadic). Returns 0 on
/// success, -1 with errno set otherwise.
int cnninte_die_with_parent(void);

#endif
