// The header's inline functions, and what needs _GNU_SOURCE (kept out of the header: it would
// make this module's system types differ from NIO's).
#define _GNU_SOURCE
#include <sched.h>
#include "CEpoll.h"

int cepoll_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}
