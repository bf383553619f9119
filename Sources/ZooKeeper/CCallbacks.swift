internal import CZooKeeper

#if canImport(Glibc)
internal import Glibc
#endif

// The C library calls these on its completion thread: they copy what they need and never block.

private func complete(_ ctx: UnsafeRawPointer?, _ result: CallbackResult) {
    CallbackRegistry.shared.takeCall(contextID(ctx))?.finish(.success(result))
}

let voidCompletion: void_completion_t = { rc, ctx in
    complete(ctx, .void(rc: rc))
}

let statCompletion: stat_completion_t = { rc, stat, ctx in
    complete(ctx, .stat(rc: rc, stat: stat.map { Stat($0.pointee) }))
}

let dataCompletion: data_completion_t = { rc, value, length, stat, ctx in
    var bytes: [UInt8] = []
    if let value, length > 0 {
        bytes = value.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }
    complete(ctx, .data(rc: rc, data: bytes, stat: stat.map { Stat($0.pointee) }))
}

private func names(_ strings: UnsafePointer<String_vector>?) -> [String] {
    var names: [String] = []
    if let strings, let data = strings.pointee.data {
        for i in 0..<Int(strings.pointee.count) {
            if let s = data[i] { names.append(String(cString: s)) }
        }
    }
    return names
}

let stringsCompletion: strings_completion_t = { rc, strings, ctx in
    complete(ctx, .strings(rc: rc, strings: names(strings)))
}

let stringsStatCompletion: strings_stat_completion_t = { rc, strings, stat, ctx in
    complete(ctx, .stringsStat(rc: rc, strings: names(strings), stat: stat.map { Stat($0.pointee) }))
}

let stringCompletion: string_completion_t = { rc, value, ctx in
    complete(ctx, .string(rc: rc, string: value.map { String(cString: $0) }))
}

let oneShotWatcher: watcher_fn = { _, type, state, _, ctx in
    guard let event = watchEvent(type: type, state: state) else { return }
    CallbackRegistry.shared.takeWatch(contextID(ctx))?.fire(event)
}

/// The watcher of every node watched through one `PathWatches`: the registration stays, the
/// node's path goes to its handler. A session event comes once for all the set's nodes (the C
/// client delivers each watcher once) and with an empty path: the handler gets nil.
let pathWatcher: watcher_fn = { _, type, state, path, ctx in
    guard let event = watchEvent(type: type, state: state),
        let watches = CallbackRegistry.shared.pathWatches(contextID(ctx))
    else { return }
    let node = path.map { String(cString: $0) }
    watches.fire(node?.isEmpty == false ? node : nil, event)
}

/// What a C watcher call means to a one-shot watch; nil for what does not end one.
private func watchEvent(type: Int32, state: Int32) -> WatchEvent? {
    let event: WatchEvent
    switch type {
    case atl_event_created(): event = .created
    case atl_event_deleted(): event = .deleted
    case atl_event_changed(): event = .dataChanged
    case atl_event_child(): event = .childrenChanged
    case atl_event_not_watching(): event = .sessionLost
    case atl_event_session():
        // Disconnects are delivered to every watcher too; the C client re-arms watches on
        // reconnect, so only the loss of the session ends a watch.
        guard state == atl_state_expired() || state == atl_state_auth_failed() else { return nil }
        event = .sessionLost
    default: return nil
    }
    return event
}

let sessionWatcher: watcher_fn = { zh, type, state, _, ctx in
    // The session id is read here, from the handle the event is about: the event can arrive
    // before `zookeeper_init` has even returned that handle to its caller.
    let sessionID = (state == atl_state_connected() ? zh.map { zoo_client_id($0).pointee.client_id } : nil) ?? 0
    CallbackRegistry.shared.sessionHandler(contextID(ctx))?(type, state, sessionID)
}
