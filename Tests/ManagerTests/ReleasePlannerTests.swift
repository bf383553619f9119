import Foundation
import Testing
import ZKModel

@testable import Manager

@Suite struct ReleasePlannerTests {
    static func doc(_ kind: Kind, _ name: String, _ spec: String) -> Document {
        Document(kind: kind, metadata: .init(name: name), spec: try! JSONValue.parse(spec))
    }

    let after: [DocumentKey: Document] = [
        DocumentKey(kind: .app, name: "web"): doc(.app, "web", #"{"team":"t","port":8080,"env":{"A":"1"}}"#),
        DocumentKey(kind: .deploy, name: "web-prod"): doc(
            .deploy,
            "web-prod",
            #"{"app":"web","environment":"prod","image":"web:1","instances":2}"#
        ),
        DocumentKey(kind: .deploy, name: "web-dev"): doc(
            .deploy,
            "web-dev",
            #"{"app":"web","environment":"dev","build":{"git":"/srv/web","ref":"main"},"instances":1}"#
        ),
    ]

    @Test func aNewDeployGetsReleaseOne() {
        let changes = ReleasePlanner().changes(
            deploys: ["web-prod", "web-dev"],
            after: after,
            current: [:],
            source: "cli"
        )
        #expect(changes.count == 1, "a Deploy without an image (a build) gets none yet")
        let release = changes[0].release
        #expect(release.number == 1 && release.image == "web:1" && release.port == 8080 && release.env == ["A": "1"])
        #expect(changes[0].pointerVersion == nil && changes[0].from == nil)
        #expect(release.assignment(instance: "web-prod-x").release == "r-0000000001")
    }

    @Test func unchangedContentMakesNoReleaseAndChangedContentTheNextNumber() {
        let one = ReleasePlanner().content(deploy: "web-prod", after: after, number: 1, cause: "apply by cli")!
        var current = [
            "web-prod": ReleasePlanner.Current(pointer: .init(current: 1, latest: 4), pointerVersion: 7, release: one)
        ]
        #expect(ReleasePlanner().changes(deploys: ["web-prod"], after: after, current: current, source: "git").isEmpty)
        var changed = after
        changed[DocumentKey(kind: .app, name: "web")] = Self.doc(
            .app,
            "web",
            #"{"team":"t","port":8080,"env":{"A":"2"}}"#
        )
        let changes = ReleasePlanner().changes(deploys: ["web-prod"], after: changed, current: current, source: "git")
        #expect(changes.first?.release.number == 5, "numbers are never reused (latest was 4)")
        #expect(changes.first?.pointerVersion == 7 && changes.first?.from == 1)
        current["web-prod"]?.release = nil
        #expect(
            ReleasePlanner().changes(deploys: ["web-prod"], after: after, current: current, source: "git").count == 1
        )
    }

    @Test func anAppChangeAffectsEveryDeployOfIt() {
        var plan = ApplyPlan(source: "cli")
        plan.actions = [.create(after[DocumentKey(kind: .app, name: "web")]!)]
        #expect(ReleasePlanner().affectedDeploys(plan, after: after) == ["web-dev", "web-prod"])
    }
}
