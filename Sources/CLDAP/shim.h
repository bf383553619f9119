#ifndef ATLANTIS_CLDAP_SHIM_H
#define ATLANTIS_CLDAP_SHIM_H

#include <lber.h>
#include <ldap.h>

/* Simple bind: `LDAP_SASL_SIMPLE` is `((char *)0)`, a macro Swift does not import. */
static inline int atl_ldap_simple_bind(LDAP *ld, const char *dn, struct berval *cred) {
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, cred, NULL, NULL, NULL);
}

#endif
