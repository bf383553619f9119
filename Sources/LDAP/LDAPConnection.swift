import CLDAP
import Foundation

/// One libldap handle (`LDAP *`): LDAPv3, bounded connect and operation times, StartTLS when
/// asked. Not shared: a handle's error state is its own, so each operation opens one (see
/// `Directory`). Every call blocks; callers run it off the cooperative pool.
final class LDAPConnection {
    private let handle: OpaquePointer
    let options: LDAPOptions

    init(_ options: LDAPOptions) throws(LDAPError) {
        self.options = options
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, options.uri)
        guard rc == LDAP_SUCCESS, let ld else {
            throw LDAPError(
                .unavailable,
                code: rc,
                "the directory URI \(options.uri) is not usable: \(Self.message(rc))"
            )
        }
        handle = ld
        var version: Int32 = LDAP_VERSION3
        var network = Self.timeval(options.networkTimeout)
        var operation = Self.timeval(options.operationTimeout)
        _ = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        _ = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &network)
        _ = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &operation)
        _ = ldap_set_option(ld, LDAP_OPT_REFERRALS, nil)  // never chase a referral elsewhere
        if options.startTLS || options.uri.hasPrefix("ldaps:") {
            var demand: Int32 = LDAP_OPT_X_TLS_DEMAND
            _ = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
            if let caFile = options.caFile { _ = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, caFile) }
            var isServer: Int32 = 0
            _ = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &isServer)
        }
        if options.startTLS {
            let rc = ldap_start_tls_s(ld, nil, nil)
            // On failure `deinit` unbinds the handle (every stored property is set by now).
            guard rc == LDAP_SUCCESS else {
                throw LDAPError(
                    .unavailable,
                    code: rc,
                    "StartTLS with \(options.uri) failed (\(Self.message(rc))); nothing was sent in cleartext: check the server's certificate and caFile"
                )
            }
        }
    }

    deinit {
        ldap_unbind_ext_s(handle, nil, nil)
    }

    /// A simple bind. An empty password is refused here, without a request: many servers answer
    /// an "unauthenticated" bind (a DN with no password) with success.
    func bind(dn: String, password: String) throws(LDAPError) {
        guard !password.isEmpty else { throw LDAPError(.refused, "an empty password is refused") }
        let rc = password.withCString { pointer -> Int32 in
            var credential = berval(bv_len: ber_len_t(strlen(pointer)), bv_val: UnsafeMutablePointer(mutating: pointer))
            return atl_ldap_simple_bind(handle, dn, &credential)
        }
        guard rc == LDAP_SUCCESS else { throw error(rc, "bind") }
    }

    struct Entry: Sendable, Hashable {
        var dn: String
        var attributes: [String: [String]]
    }

    enum Scope {
        case base, oneLevel, subtree
        var raw: Int32 {
            switch self {
            case .base: return LDAP_SCOPE_BASE
            case .oneLevel: return LDAP_SCOPE_ONELEVEL
            case .subtree: return LDAP_SCOPE_SUBTREE
            }
        }
    }

    /// The entries under `base` matching `filter` (already escaped), with `attributes`.
    func search(
        base: String,
        scope: Scope,
        filter: String,
        attributes: [String],
        limit: Int32 = 500
    )
        throws(LDAPError) -> [Entry]
    {
        var names: [UnsafeMutablePointer<CChar>?] = attributes.map { strdup($0) } + [nil]
        defer { names.forEach { free($0) } }
        var timeout = Self.timeval(options.operationTimeout)
        var result: OpaquePointer?
        let rc = ldap_search_ext_s(handle, base, scope.raw, filter, &names, 0, nil, nil, &timeout, limit, &result)
        defer { if let result { ldap_msgfree(result) } }
        guard rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED else {
            if rc == LDAP_NO_SUCH_OBJECT { return [] }
            throw error(rc, "search")
        }
        var entries: [Entry] = []
        var entry = ldap_first_entry(handle, result)
        while let current = entry {
            var dn = ""
            if let pointer = ldap_get_dn(handle, current) {
                dn = String(cString: pointer)
                ldap_memfree(pointer)
            }
            var values: [String: [String]] = [:]
            for name in attributes {
                guard let list = ldap_get_values_len(handle, current, name) else { continue }
                var index = 0
                var strings: [String] = []
                while let value = list[index] {
                    let bytes = UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))
                    strings.append(String(decoding: bytes, as: UTF8.self))
                    index += 1
                }
                ldap_value_free_len(list)
                values[name] = strings
            }
            entries.append(Entry(dn: dn, attributes: values))
            entry = ldap_next_entry(handle, current)
        }
        return entries
    }

    /// Whether the entry `dn` holds `attribute: value` (false too when the entry does not exist).
    func compare(dn: String, attribute: String, value: String) throws(LDAPError) -> Bool {
        let rc = value.withCString { pointer -> Int32 in
            var bv = berval(bv_len: ber_len_t(strlen(pointer)), bv_val: UnsafeMutablePointer(mutating: pointer))
            return ldap_compare_ext_s(handle, dn, attribute, &bv, nil, nil)
        }
        switch rc {
        case LDAP_COMPARE_TRUE: return true
        case LDAP_COMPARE_FALSE, LDAP_NO_SUCH_OBJECT: return false
        default: throw error(rc, "compare")
        }
    }

    private func error(_ rc: Int32, _ operation: String) -> LDAPError {
        switch rc {
        case LDAP_INVALID_CREDENTIALS:
            return LDAPError(.invalidCredentials, code: rc, "invalid credentials")
        case LDAP_SERVER_DOWN, LDAP_TIMEOUT, LDAP_CONNECT_ERROR, LDAP_UNAVAILABLE, LDAP_BUSY, LDAP_TIMELIMIT_EXCEEDED:
            return LDAPError(
                .unavailable,
                code: rc,
                "the directory at \(options.uri) did not answer the \(operation) (\(Self.message(rc))); is slapd running and reachable?"
            )
        default:
            return LDAPError(.server, code: rc, "the directory refused the \(operation): \(Self.message(rc))")
        }
    }

    static func message(_ rc: Int32) -> String {
        ldap_err2string(rc).map { String(cString: $0) } ?? "LDAP error \(rc)"
    }

    private static func timeval(_ seconds: Double) -> Glibc.timeval {
        let whole = Int(seconds)
        return Glibc.timeval(tv_sec: whole, tv_usec: Int(((seconds - Double(whole)) * 1_000_000).rounded()))
    }
}
