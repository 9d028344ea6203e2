import Scheduling
import Testing

@Suite struct LoadShedderTests {
    @Test func escalatesInTheDocumentedOrderAndRelaxesInReverse() {
        var shedder = LoadShedder(highWater: 0.9, lowWater: 0.5, escalateAfter: 3, relaxAfter: 4)
        var levels: [ShedLevel] = []
        for _ in 0..<12 { levels.append(shedder.record(load: 1.2)) }
        #expect(levels == [.none, .none, .skipSceneScoring,
                           .skipSceneScoring, .skipSceneScoring, .lowerGroundingResolution,
                           .lowerGroundingResolution, .lowerGroundingResolution, .rejectCommands,
                           .rejectCommands, .rejectCommands, .rejectCommands])
        levels = []
        for _ in 0..<16 { levels.append(shedder.record(load: 0.2)) }
        #expect(levels[3] == .lowerGroundingResolution)
        #expect(levels[7] == .skipSceneScoring)
        #expect(levels[11] == ShedLevel.none)
        #expect(levels.last == ShedLevel.none)
    }

    @Test func loadBetweenTheMarksHoldsTheLevel() {
        var shedder = LoadShedder(highWater: 0.9, lowWater: 0.5, escalateAfter: 2, relaxAfter: 2)
        shedder.record(load: 1.0)
        shedder.record(load: 1.0)
        #expect(shedder.level == .skipSceneScoring)
        // Alternating overload and mid-band never completes a run: no flapping.
        for _ in 0..<20 {
            shedder.record(load: 0.95)
            shedder.record(load: 0.7)
        }
        #expect(shedder.level == .skipSceneScoring)
    }
}
