import Testing

@testable import Reconciler

@Suite("DenseDictionary")
struct DenseDictionaryTests {
    /// Random inserts, replacements and removals (by nil and by `removeValue`) give what a
    /// `Dictionary` given the same gives, entry for entry, at every step.
    @Test func randomChangesGiveWhatADictionaryGives() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var dense = DenseDictionary<String, Int>()
            var model: [String: Int] = [:]
            for step in 0..<2_000 {
                let key = "k\(Int.random(in: 0..<300, using: &generator))"
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    #expect(dense.removeValue(forKey: key) == model.removeValue(forKey: key))
                case 1:
                    dense[key] = nil
                    model[key] = nil
                default:
                    dense[key] = step
                    model[key] = step
                }
                #expect(dense.count == model.count)
                #expect(dense[key] == model[key])
            }
            #expect(Dictionary(uniqueKeysWithValues: dense.map { ($0.key, $0.value) }) == model)
            #expect(Set(dense.keys) == Set(model.keys))
            #expect(dense.values.sorted() == model.values.sorted())
        }
    }

    /// A removal moves the last entry into the hole: every other entry stays reachable by key.
    @Test func aRemovalInTheMiddleKeepsEveryOtherEntry() {
        var dense: DenseDictionary = ["a": 1, "b": 2, "c": 3, "d": 4]
        #expect(dense.removeValue(forKey: "b") == 2)
        #expect(dense.removeValue(forKey: "b") == nil)
        #expect(dense["a"] == 1 && dense["c"] == 3 && dense["d"] == 4 && dense["b"] == nil)
        #expect(Array(dense.keys) == ["a", "d", "c"], "the last one took the hole")
        dense["a"] = nil
        dense["e"] = 5
        #expect(dense.count == 3)
        #expect(dense == ["c": 3, "d": 4, "e": 5], "equal whatever the order")
        #expect(dense != ["c": 3, "d": 4, "e": 6])
    }

    /// Optional values: a stored nil is an entry (as in a `Dictionary` of optionals).
    @Test func aStoredNilIsAnEntry() {
        var dense = DenseDictionary<String, Int?>()
        dense["a"] = .some(nil)
        #expect(dense.count == 1)
        #expect(dense["a"] == .some(nil))
        dense["a"] = nil
        #expect(dense.isEmpty)
    }
}
