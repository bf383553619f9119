import Testing
import ZKModel

@Suite struct ImageReferenceTests {
    let digest = "sha256:" + String(repeating: "0123456789abcdef", count: 4)

    @Test func readsRegistryRepositoryTagAndDigest() throws {
        let image = try #require(ImageReference("127.0.0.1:5000/atlantis/sample:v2"))
        #expect(image.registry == "127.0.0.1:5000")
        #expect(image.repository == "atlantis/sample")
        #expect(image.tag == "v2")
        #expect(image.digest == nil)
        let pinned = try #require(ImageReference("registry.example.com/team/app@\(digest)"))
        #expect(pinned.registry == "registry.example.com")
        #expect(pinned.tag == nil)
        #expect(pinned.digest == digest)
        let bare = try #require(ImageReference("atlantis/sample"))
        #expect(bare.registry == nil)
        #expect(bare.repository == "atlantis/sample")
        #expect(try #require(ImageReference("localhost/app:1")).registry == "localhost")
    }

    @Test func pinnedToAnotherRegistryKeepsTheRepositoryAndDropsTheTag() throws {
        let image = try #require(ImageReference("127.0.0.1:5000/atlantis/sample:v2"))
        #expect(
            image.pinned(registry: "127.0.0.2:5000", digest: digest).description
                == "127.0.0.2:5000/atlantis/sample@\(digest)"
        )
        #expect(
            try #require(ImageReference("127.0.0.1:5000/a/b:c@\(digest)")).description
                == "127.0.0.1:5000/a/b:c@\(digest)"
        )
    }

    @Test(arguments: [
        "", "127.0.0.1:5000/", "app@sha256:abc", "app@md5:" + String(repeating: "0", count: 64), "App/Upper",
        "a b", "a//b", "a:", "/abs", "a:b/c",
    ])
    func refusesWhatIsNotAReference(_ text: String) {
        #expect(ImageReference(text) == nil)
    }
}
