// epoll for `atlantis-bench relay` (Swift's Glibc module leaves sys/epoll.h out).
#include <sys/epoll.h>

static inline int cbench_epoll_data_fd(const struct epoll_event *event) { return event->data.fd; }
static inline void cbench_epoll_set_fd(struct epoll_event *event, int fd) { event->data.fd = fd; }
