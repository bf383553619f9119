#ifndef ATLANTIS_CZOOKEEPER_SHIM_H
#define ATLANTIS_CZOOKEEPER_SHIM_H

#define THREADED 1
#include <zookeeper/zookeeper.h>

/* Swift 6 refuses mutable C globals; hand out their addresses instead. */
static inline struct ACL_vector *atl_open_acl_unsafe(void) { return &ZOO_OPEN_ACL_UNSAFE; }
static inline struct ACL_vector *atl_read_acl_unsafe(void) { return &ZOO_READ_ACL_UNSAFE; }
static inline struct ACL_vector *atl_creator_all_acl(void) { return &ZOO_CREATOR_ALL_ACL; }

static inline int atl_event_created(void) { return ZOO_CREATED_EVENT; }
static inline int atl_event_deleted(void) { return ZOO_DELETED_EVENT; }
static inline int atl_event_changed(void) { return ZOO_CHANGED_EVENT; }
static inline int atl_event_child(void) { return ZOO_CHILD_EVENT; }
static inline int atl_event_session(void) { return ZOO_SESSION_EVENT; }
static inline int atl_event_not_watching(void) { return ZOO_NOTWATCHING_EVENT; }

static inline int atl_state_connecting(void) { return ZOO_CONNECTING_STATE; }
static inline int atl_state_associating(void) { return ZOO_ASSOCIATING_STATE; }
static inline int atl_state_connected(void) { return ZOO_CONNECTED_STATE; }
static inline int atl_state_expired(void) { return ZOO_EXPIRED_SESSION_STATE; }
static inline int atl_state_auth_failed(void) { return ZOO_AUTH_FAILED_STATE; }

static inline int atl_perm_read(void) { return ZOO_PERM_READ; }
static inline int atl_perm_write(void) { return ZOO_PERM_WRITE; }
static inline int atl_perm_create(void) { return ZOO_PERM_CREATE; }
static inline int atl_perm_delete(void) { return ZOO_PERM_DELETE; }
static inline int atl_perm_admin(void) { return ZOO_PERM_ADMIN; }
static inline int atl_perm_all(void) { return ZOO_PERM_ALL; }

static inline int atl_flag_ephemeral(void) { return ZOO_EPHEMERAL; }
static inline int atl_flag_sequence(void) { return ZOO_SEQUENCE; }

#endif
