// epoll, eventfd and accept4 for the router's own event loops (`EpollLoop`) and
// `atlantis-bench relay` (Swift's Glibc module leaves sys/epoll.h and sys/eventfd.h out).
#include <sys/epoll.h>
#include <sys/eventfd.h>

struct sockaddr;
// accept4 (declared here: its header declares it only under _GNU_SOURCE, which would make this
// module's system types differ from NIO's).
extern int accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);

static inline int cepoll_data_fd(const struct epoll_event *event) { return event->data.fd; }
static inline void cepoll_set_fd(struct epoll_event *event, int fd) { event->data.fd = fd; }
static inline unsigned long long cepoll_data_u64(const struct epoll_event *event) { return event->data.u64; }
static inline void cepoll_set_u64(struct epoll_event *event, unsigned long long value) { event->data.u64 = value; }

/// accept4 with a non-blocking, close-on-exec socket.
static inline int cepoll_accept(int fd, struct sockaddr *address, unsigned int *length) {
    return accept4(fd, address, length, 04000 /* SOCK_NONBLOCK */ | 02000000 /* SOCK_CLOEXEC */);
}

/// Pins the calling thread to one CPU; 0, or -1 with errno set.
int cepoll_pin_to_cpu(int cpu);
