import NIOCore
import Testing

@testable import RouterProxy

private func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// How many times `word` appears in `text`, ignoring case.
private func occurrences(_ word: String, in text: String) -> Int {
    text.lowercased().ranges(of: word).count
}

@Suite("HTTP/1.1 heads and framing as the proxy reads them")
struct WireTests {
    @Test func parsesARequestHeadInPlace() throws {
        let text =
            "GET /a/b?c=1 HTTP/1.1\r\nHost: App.Test\r\nX-Two:  spaced value \t\r\nContent-Length: 5\r\n\r\nhello"
        let (head, length) = try #require(try HeadParser.request(buffer(text), maxBytes: 1024))
        #expect(length == text.utf8.count - 5)
        #expect(head.string(head.method) == "GET")
        #expect(head.string(head.target) == "/a/b?c=1")
        #expect(head.minorVersion == 1)
        #expect(head.fields.value("host") == "App.Test")
        #expect(head.fields.value(named: "X-TWO") == "spaced value")
        #expect(head.fields.fields.count == 3)
        guard case .length(5) = try BodyReader.request(head) else {
            Issue.record("expected a 5-byte body")
            return
        }
    }

    @Test func anIncompleteHeadWaitsAndLeadingBlankLinesAreSkipped() throws {
        #expect(try HeadParser.request(buffer("GET / HTTP/1.1\r\nHost: a\r\n"), maxBytes: 1024) == nil)
        let (head, length) = try #require(try HeadParser.request(buffer("\r\nGET / HTTP/1.0\r\n\r\nX"), maxBytes: 1024))
        #expect(length == 20)
        #expect(head.minorVersion == 0)
        #expect(head.fields.fields.isEmpty)
    }

    @Test func aLaterHTTP1MinorVersionIsReadAndSentOnAsHTTP11() throws {
        let (head, _) = try #require(
            try HeadParser.request(buffer("GET /x HTTP/1.2\r\nHost: a.test\r\n\r\n"), maxBytes: 1024)
        )
        #expect(head.minorVersion == 1)
        let sent = String(
            buffer: HeadWriter.request(
                head,
                connection: head.fields.connectionOptions,
                clientAddress: "10.0.0.1",
                host: "a.test",
                dropExpect: false,
                upgrade: nil,
                allocator: ByteBufferAllocator()
            )
        )
        #expect(sent.hasPrefix("GET /x HTTP/1.1\r\nHost: a.test\r\n"), "\(sent)")
        let (response, _) = try #require(
            try HeadParser.response(buffer("HTTP/1.9 200 OK\r\nContent-Length: 0\r\n\r\n"), maxBytes: 1024)
        )
        #expect(response.minorVersion == 1)
        #expect(response.status == 200)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", 400, "CRLF"),
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", 400, "CRLF"),
        ("GET  HTTP/1.1\r\n\r\n", 400, "request line"),
        ("GET / HTTP/2.0\r\n\r\n", 505, "version"),
        ("GET / HTTP/1.x\r\n\r\n", 400, "malformed HTTP version"),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "folded"),
        ("GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", 400, "header name"),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "colon"),
        ("GET / HTTP/1.1\r\n: empty\r\n\r\n", 400, "colon"),
        ("GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n", 400, "control character"),
        ("G(T / HTTP/1.1\r\n\r\n", 400, "method"),
        ("GET /a\u{7F} HTTP/1.1\r\n\r\n", 400, "control character"),
    ])
    func malformedRequestHeadsAreRefusedNamingTheProblem(text: String, status: Int, words: String) {
        do {
            _ = try HeadParser.request(buffer(text), maxBytes: 1024)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.status == status)
            #expect(error.reason.contains(words), "\(error.reason)")
        }
    }

    @Test func aHeadLargerThanTheLimitIsA431CompleteOrNot() {
        let big = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 2000)
        for text in [big, big + "\r\n\r\n"] {
            #expect(throws: WireError(status: 431, reason: "request head larger than 1000 bytes")) {
                try HeadParser.request(buffer(text), maxBytes: 1000)
            }
        }
    }

    @Test(arguments: [
        (
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "both Content-Length and Transfer-Encoding"
        ),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", "invalid Content-Length"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "other than chunked"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0"),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "chunked more than once"),
        (
            "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "chunked more than once"
        ),
    ])
    func ambiguousFramingIsRefused(text: String, words: String) throws {
        let (head, _) = try #require(try HeadParser.request(buffer(text), maxBytes: 1024))
        do {
            _ = try BodyReader.request(head)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.reason.contains(words), "\(error.reason)")
        }
    }

    /// A list of one repeated length is that length (RFC 9110 §8.6), on one line or several.
    @Test(arguments: [
        "Content-Length: 5\r\n", "Content-Length:  5 \t\r\n", "Content-Length: 5, 5\r\n", "Content-Length: 5,5 , 5\r\n",
        "Content-Length: 5\r\nX-A: b\r\nContent-Length: 5\r\n",
    ])
    func repeatedLengthsThatAgreeAreOneLength(fields: String) throws {
        let (head, _) = try #require(
            try HeadParser.request(buffer("POST / HTTP/1.1\r\n" + fields + "\r\n"), maxBytes: 1024)
        )
        guard case .length(5) = try BodyReader.request(head) else {
            Issue.record("not a length of 5: \(fields.debugDescription)")
            return
        }
    }

    @Test func tokenCharactersAreExactlyThoseOfRFC9110() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HeadParser.isToken(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func responseFramingFollowsTheStatusAndTheRequest() throws {
        func framing(_ text: String, head: Bool = false) throws -> BodyReader {
            let (response, _) = try #require(try HeadParser.response(buffer(text), maxBytes: 1024))
            return try BodyReader.response(response, toHEAD: head)
        }
        let (ok, _) = try #require(
            try HeadParser.response(buffer("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"), maxBytes: 1024)
        )
        #expect(ok.status == 200)
        guard case .length(7) = try framing("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n") else {
            Issue.record("length")
            return
        }
        guard case .none = try framing("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", head: true) else {
            Issue.record("HEAD")
            return
        }
        guard case .none = try framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n") else {
            Issue.record("304")
            return
        }
        guard case .none = try framing("HTTP/1.1 204 No Content\r\n\r\n") else {
            Issue.record("204")
            return
        }
        guard case .chunked = try framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") else {
            Issue.record("chunked")
            return
        }
        guard case .untilClose = try framing("HTTP/1.0 200 OK\r\n\r\n") else {
            Issue.record("until close")
            return
        }
        #expect(throws: WireError.self) { try HeadParser.response(buffer("HTTP/1.1 2x0 OK\r\n\r\n"), maxBytes: 1024) }
        // Outside 100-599: a "099" would otherwise pass for an interim response, and be waited past.
        for status in ["099", "000", "600", "999"] {
            #expect {
                try HeadParser.response(buffer("HTTP/1.1 \(status) X\r\nContent-Length: 0\r\n\r\n"), maxBytes: 1024)
            } throws: { error in
                (error as? WireError)?.status == 502
                    && (error as? WireError)?.reason == "backend sent a status outside 100-599"
            }
        }
        #expect(throws: WireError.self) { try framing("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") }
    }

    @Test func theBackendRequestKeepsFieldLinesAndDropsHopByHopOnes() throws {
        let text =
            "GET /x HTTP/1.1\r\nHost: app.test\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n"
            + "TE: trailers\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\nExpect: 100-continue\r\n"
            + "Accept: */*\r\n\r\n"
        let (head, _) = try #require(try HeadParser.request(buffer(text), maxBytes: 4096))
        let out = HeadWriter.request(
            head,
            connection: head.fields.connectionOptions,
            clientAddress: "127.0.0.9",
            host: "app.test",
            dropExpect: true,
            upgrade: nil,
            allocator: ByteBufferAllocator()
        )
        #expect(
            String(buffer: out)
                == "GET /x HTTP/1.1\r\nHost: app.test\r\nAccept: */*\r\nx-forwarded-for: 10.0.0.1, 127.0.0.9\r\n"
                + "x-forwarded-proto: http\r\nx-forwarded-host: app.test\r\n\r\n"
        )
        let response = "HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: a\r\nContent-Length: 2\r\nTrailer: x\r\n\r\n"
        let (rhead, _) = try #require(try HeadParser.response(buffer(response), maxBytes: 4096))
        #expect(
            String(
                buffer: HeadWriter.response(
                    rhead,
                    backendConnection: rhead.fields.connectionOptions,
                    connection: .close,
                    allocator: ByteBufferAllocator()
                )
            )
                == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\n\r\n"
        )
        // Host, Content-Length and Transfer-Encoding stay however Connection names them: without
        // Host the backend cannot tell the site; without the framing it reads the body differently.
        for framing in ["Content-Length: 2", "Transfer-Encoding: chunked"] {
            let named =
                "POST /x HTTP/1.1\r\nHost: app.test\r\nConnection: Host, content-length, Transfer-Encoding, X-A\r\n"
                + "X-A: 1\r\n\(framing)\r\n\r\n"
            let (kept, _) = try #require(try HeadParser.request(buffer(named), maxBytes: 4096))
            #expect(kept.fields.connectionOptions.listed == [Array("x-a".utf8)])
            let sent = String(
                buffer: HeadWriter.request(
                    kept,
                    connection: kept.fields.connectionOptions,
                    clientAddress: "10.0.0.3",
                    host: "app.test",
                    dropExpect: false,
                    upgrade: nil,
                    allocator: ByteBufferAllocator()
                )
            )
            #expect(
                sent.hasPrefix("POST /x HTTP/1.1\r\nHost: app.test\r\n\(framing)\r\nx-forwarded-for: 10.0.0.3\r\n"),
                "\(sent)"
            )
        }
        // X-Forwarded-For on several lines is one list: all of it is kept, the client appended.
        let (forwarded, _) = try #require(
            try HeadParser.request(
                buffer(
                    "GET / HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 10.0.0.1\r\nAccept: */*\r\nx-forwarded-for: 10.0.0.2, 10.0.0.3\r\n\r\n"
                ),
                maxBytes: 4096
            )
        )
        let chain = String(
            buffer: HeadWriter.request(
                forwarded,
                connection: forwarded.fields.connectionOptions,
                clientAddress: "10.0.0.4",
                host: "a.test",
                dropExpect: false,
                upgrade: nil,
                allocator: ByteBufferAllocator()
            )
        )
        #expect(chain.contains("\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4\r\n"), "\(chain)")
        #expect(occurrences("x-forwarded-for", in: chain) == 1, "\(chain)")
        // A length that came as a list, or on two lines, goes on as one number, each way.
        for lines in ["Content-Length: 5, 5\r\n", "Content-Length: 5\r\nX-B: 2\r\ncontent-length: 5\r\n"] {
            let (listed, _) = try #require(
                try HeadParser.request(buffer("POST /x HTTP/1.1\r\nHost: a.test\r\n" + lines + "\r\n"), maxBytes: 4096)
            )
            #expect(listed.fields.contentLengthIsList)
            #expect(listed.fields.singleContentLength(for: try BodyReader.request(listed)) == 5)
            let sent = HeadWriter.request(
                listed,
                connection: listed.fields.connectionOptions,
                clientAddress: "10.0.0.3",
                host: "a.test",
                dropExpect: false,
                upgrade: nil,
                length: 5,
                allocator: ByteBufferAllocator()
            )
            #expect(
                String(buffer: sent).hasPrefix("POST /x HTTP/1.1\r\ncontent-length: 5\r\nHost: a.test\r\n"),
                "\(String(buffer: sent))"
            )
            #expect(occurrences("content-length", in: String(buffer: sent)) == 1, "\(String(buffer: sent))")
            let (answer, _) = try #require(
                try HeadParser.response(buffer("HTTP/1.1 200 OK\r\n" + lines + "\r\n"), maxBytes: 4096)
            )
            let answered = String(
                buffer: HeadWriter.response(
                    answer,
                    backendConnection: answer.fields.connectionOptions,
                    connection: .none,
                    allocator: ByteBufferAllocator(),
                    length: 5
                )
            )
            #expect(answer.fields.singleContentLength(for: try BodyReader.response(answer, toHEAD: false)) == 5)
            #expect(
                answer.fields.singleContentLength(for: try BodyReader.response(answer, toHEAD: true)) == nil,
                "a HEAD's length is another body's"
            )
            #expect(answered.hasPrefix("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n"), "\(answered)")
            #expect(occurrences("content-length", in: answered) == 1, "\(answered)")
        }
        let (plain, _) = try #require(
            try HeadParser.request(buffer("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n"), maxBytes: 4096)
        )
        #expect(!plain.fields.contentLengthIsList)
        #expect(plain.fields.singleContentLength(for: try BodyReader.request(plain)) == nil)
        // With Transfer-Encoding, Content-Length is not passed on.
        let both =
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\ncontent-length: 10\r\n\r\n"
        let (bhead, _) = try #require(try HeadParser.response(buffer(both), maxBytes: 4096))
        guard case .chunked = try BodyReader.response(bhead, toHEAD: false) else {
            Issue.record("chunked wins")
            return
        }
        #expect(
            String(
                buffer: HeadWriter.response(
                    bhead,
                    backendConnection: bhead.fields.connectionOptions,
                    connection: .none,
                    allocator: ByteBufferAllocator()
                )
            )
                == "HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
    }

    @Test func headsParsedAndWrittenIntoReusedStorageMatchFreshOnes() throws {
        // A connection parses each head into the same field list and writes each into the same
        // buffer: a shorter head after a longer one must leave nothing of the longer behind, and
        // a head still held (a write not yet out) must not change when the next is written.
        let long =
            "POST /upload HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
            + "D: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\nJ: 10\r\nK: 11\r\nContent-Length: 3\r\n\r\n"
        let short = "GET /b HTTP/1.1\r\nHost: b.test\r\n\r\n"
        var fields: [HeaderField] = []
        var out = ByteBuffer()
        func write(_ text: String) throws -> (reused: String, fresh: String, count: Int) {
            let (head, _) = try #require(try HeadParser.request(buffer(text), maxBytes: 4096, fields: &fields))
            let host = head.fields.value("host") ?? ""
            HeadWriter.request(
                head,
                connection: head.fields.connectionOptions,
                clientAddress: "10.1.2.3",
                host: host,
                dropExpect: false,
                upgrade: nil,
                into: &out
            )
            let (alone, _) = try #require(try HeadParser.request(buffer(text), maxBytes: 4096))
            let fresh = HeadWriter.request(
                alone,
                connection: alone.fields.connectionOptions,
                clientAddress: "10.1.2.3",
                host: host,
                dropExpect: false,
                upgrade: nil,
                allocator: ByteBufferAllocator()
            )
            return (String(buffer: out), String(buffer: fresh), head.fields.fields.count)
        }
        let first = try write(long)
        #expect(first.count == 15)
        #expect(first.reused == first.fresh)
        let held = out  // as NIO holds a write that has not gone out
        let second = try write(short)
        #expect(second.count == 1)
        #expect(second.reused == second.fresh)
        #expect(
            second.reused
                == "GET /b HTTP/1.1\r\nHost: b.test\r\nx-forwarded-for: 10.1.2.3\r\nx-forwarded-proto: http\r\nx-forwarded-host: b.test\r\n\r\n"
        )
        #expect(String(buffer: held) == first.fresh)
        // Nothing holds the second head now: the third is written into its storage.
        let storage = out.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let capacity = fields.capacity
        let third = try write(short)
        #expect(out.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == storage)
        #expect(fields.capacity == capacity)
        #expect(third.reused == second.fresh)

        // The same for responses.
        var responseFields: [HeaderField] = []
        let longResponse =
            "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n"
        let shortResponse = "HTTP/1.1 204 No Content\r\n\r\n"
        for text in [longResponse, shortResponse] {
            let (head, _) = try #require(try HeadParser.response(buffer(text), maxBytes: 4096, fields: &responseFields))
            HeadWriter.response(head, backendConnection: head.fields.connectionOptions, connection: .none, into: &out)
            let (alone, _) = try #require(try HeadParser.response(buffer(text), maxBytes: 4096))
            #expect(head.fields.fields.count == alone.fields.fields.count)
            #expect(
                String(buffer: out)
                    == String(
                        buffer: HeadWriter.response(
                            alone,
                            backendConnection: alone.fields.connectionOptions,
                            connection: .none,
                            allocator: ByteBufferAllocator()
                        )
                    )
            )
        }
        #expect(String(buffer: out) == "HTTP/1.1 204 No Content\r\n\r\n")
    }

    @Test(arguments: [
        // (request line and fields, host, routed target, origin form sent on or "")
        ("GET /a/b?q=1 HTTP/1.1\r\nHost: App.Test:8080", "App.Test:8080", "/a/b?q=1", ""),
        ("GET /web/../api/./x?q=/../ HTTP/1.1\r\nHost: a.test", "a.test", "/api/x?q=/../", ""),
        ("GET /a/b/.. HTTP/1.1\r\nHost: a.test", "a.test", "/a/", ""),
        ("GET /a/.b/..c/ HTTP/1.1\r\nHost: a.test", "a.test", "/a/.b/..c/", ""),
        ("GET http://b.test:81/p/../q?x HTTP/1.1\r\nHost: a.test", "b.test:81", "/q?x", "/p/../q?x"),
        ("GET HTTPS://b.test?x=1 HTTP/1.1\r\nHost: a.test", "b.test", "/?x=1", "/?x=1"),
        ("GET http://b.test HTTP/1.0", "b.test", "/", "/"),
        ("GET /old HTTP/1.0", "", "/old", ""),
        ("GET / HTTP/1.1\r\nHost: [::1]:8080", "[::1]:8080", "/", ""),
        ("GET / HTTP/1.1\r\nHost: ", "", "/", ""),
        ("OPTIONS * HTTP/1.1\r\nHost: a.test", "a.test", "*", ""),
        // Escaped unreserved characters are decoded before dot segments are resolved; other
        // escapes stay, their hex in upper case; the query is left as it came.
        ("GET /web/%2e%2E/api/x HTTP/1.1\r\nHost: a.test", "a.test", "/api/x", ""),
        ("GET /a/.%2e/b/%2E HTTP/1.1\r\nHost: a.test", "a.test", "/b/", ""),
        ("GET /%7Euser/%2fa%2Fb/%41%5a?q=%7e HTTP/1.1\r\nHost: a.test", "a.test", "/~user/%2Fa%2Fb/AZ?q=%7e", ""),
        ("GET /a/%2e%2ex/%25 HTTP/1.1\r\nHost: a.test", "a.test", "/a/..x/%25", ""),
        ("GET http://b.test/p/%2e%2e/q HTTP/1.1\r\nHost: a.test", "b.test", "/q", "/p/%2e%2e/q"),
    ])
    func requestTargetsAreResolvedForRouting(head: String, host: String, routed: String, originForm: String) throws {
        let (parsed, _) = try #require(try HeadParser.request(buffer(head + "\r\n\r\n"), maxBytes: 1024))
        let target = try RequestTarget(parsed)
        #expect(target.host == host)
        #expect(target.routed == routed)
        if let form = target.originForm {
            let rest =
                parsed.fields.bytes.getString(
                    at: parsed.fields.bytes.readerIndex + form.rest.lowerBound,
                    length: form.rest.count
                ) ?? ""
            #expect((form.addSlash ? "/" : "") + rest == originForm)
        } else {
            #expect(originForm == "")
        }
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a.test\r\nhost: b.test", "more than one Host field"),
        ("GET / HTTP/1.1\r\nHost: a.test\r\nHost: a.test", "more than one Host field"),
        ("GET / HTTP/1.1\r\nAccept: */*", "without a Host field"),
        ("GET / HTTP/1.1\r\nHost: a.test/evil", "Host field is not"),
        ("GET / HTTP/1.1\r\nHost: user@a.test", "Host field is not"),
        ("GET / HTTP/1.1\r\nHost: a.test:80x", "Host field is not"),
        ("GET / HTTP/1.1\r\nHost: [zz]", "Host field is not"),
        ("GET /../etc/passwd HTTP/1.1\r\nHost: a.test", "climbs above the root"),
        ("GET /a/../../b HTTP/1.1\r\nHost: a.test", "climbs above the root"),
        ("GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: a.test", "climbs above the root"),
        ("GET /a/%2E./../../b HTTP/1.1\r\nHost: a.test", "climbs above the root"),
        ("GET /a%zz HTTP/1.1\r\nHost: a.test", "'%' not followed by two hex digits"),
        ("GET /a%4 HTTP/1.1\r\nHost: a.test", "'%' not followed by two hex digits"),
        ("GET /a% HTTP/1.1\r\nHost: a.test", "'%' not followed by two hex digits"),
        ("GET * HTTP/1.1\r\nHost: a.test", "* is for OPTIONS only"),
        ("GET /public#/../admin HTTP/1.1\r\nHost: a.test", "contains '#'"),
        ("GET http://b.test?x#y HTTP/1.1\r\nHost: a.test", "contains '#'"),
        ("GET /x?y#z HTTP/1.1\r\nHost: a.test", "contains '#'"),
        ("GET a.test:80 HTTP/1.1\r\nHost: a.test", "malformed request target"),
        ("GET ftp://a.test/ HTTP/1.1\r\nHost: a.test", "malformed request target"),
        ("GET http://u@b.test/ HTTP/1.1\r\nHost: a.test", "request target's host"),
        ("GET http:///x HTTP/1.1\r\nHost: a.test", "request target's host"),
    ])
    func badHostsAndTargetsAreRefusedNamingTheProblem(head: String, words: String) throws {
        let (parsed, _) = try #require(try HeadParser.request(buffer(head + "\r\n\r\n"), maxBytes: 1024))
        do {
            let target = try RequestTarget(parsed)
            Issue.record("accepted: host \(target.host), target \(target.routed)")
        } catch {
            #expect(error.status == 400)
            #expect(error.reason.contains(words), "\(error.reason)")
        }
    }

    @Test func anAbsoluteFormRequestReachesTheBackendInOriginFormWithItsHost() throws {
        let text = "GET http://b.test/p?q=1 HTTP/1.1\r\nAccept: */*\r\nHost: a.test\r\nX-Other: 1\r\n\r\n"
        let (head, _) = try #require(try HeadParser.request(buffer(text), maxBytes: 1024))
        let target = try RequestTarget(head)
        var out = ByteBuffer()
        HeadWriter.request(
            head,
            connection: head.fields.connectionOptions,
            clientAddress: "10.0.0.2",
            host: target.host,
            dropExpect: false,
            upgrade: nil,
            originForm: target.originForm,
            into: &out
        )
        #expect(
            String(buffer: out) == "GET /p?q=1 HTTP/1.1\r\nhost: b.test\r\nAccept: */*\r\nX-Other: 1\r\n"
                + "x-forwarded-for: 10.0.0.2\r\nx-forwarded-proto: http\r\nx-forwarded-host: b.test\r\n\r\n"
        )
    }

    @Test func chunkedFramingEndsWhereTheMessageEndsHoweverItIsSplit() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            // A random chunked body, with extensions and trailers sometimes, then the next request.
            var body = ""
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                let size = Int.random(in: 1...300, using: &generator)
                body += String(size, radix: 16, uppercase: round % 2 == 0) + (round % 3 == 0 ? ";ext=1" : "") + "\r\n"
                body += String(repeating: "x", count: size) + "\r\n"
            }
            body += "0\r\n" + (round % 4 == 0 ? "Trailer-Field: v\r\n" : "") + "\r\n"
            let next = "GET /next HTTP/1.1\r\n\r\n"
            let bytes = Array((body + next).utf8)
            var reader = BodyReader.chunked(ChunkedScanner())
            var consumed = 0
            var position = 0
            while position < bytes.count && !reader.isComplete {
                let cut = min(bytes.count, position + Int.random(in: 1...64, using: &generator))
                var input = ByteBuffer(bytes: bytes[position..<cut])
                if let slice = try reader.take(from: &input) { consumed += slice.readableBytes }
                position = cut - input.readableBytes
                if input.readableBytes > 0 { break }
            }
            #expect(reader.isComplete)
            #expect(consumed == body.utf8.count, "round \(round)")
        }
    }

    @Test(arguments: ["zz\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n", "0\r\nX: y\n\r\n", "ffffffffffffffffff\r\n"])
    func malformedChunkedBodiesAreRefused(text: String) {
        var reader = BodyReader.chunked(ChunkedScanner())
        var input = buffer(text)
        #expect(throws: WireError.self) { _ = try reader.take(from: &input) }
    }
}
