import Imaging
import Scheduling
import Testing

private let ms: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

/// Reports `load` every `periodNs` from `start` (exclusive) to `end` (inclusive); returns the level after each.
@discardableResult
private func feed(
    _ shedder: inout LoadShedder, load: Double, from start: UInt64, to end: UInt64, every periodNs: UInt64,
    work: LoadShedder.Work = .essential
) -> [ShedLevel] {
    var levels: [ShedLevel] = []
    var now = start + periodNs
    while now <= end {
        levels.append(shedder.record(load: load, atNs: now, work: work))
        now += periodNs
    }
    return levels
}

/// The first time at or after `start`, in steps of 10 ms up to `limit`, at which `relax` reports level none.
private func timeToNone(_ shedder: inout LoadShedder, from start: UInt64, limit: UInt64) -> UInt64? {
    var now = start
    while now <= start + limit {
        if shedder.relax(atNs: now) == .none { return now - start }
        now += 10 * ms
    }
    return nil
}


@Suite struct LoadShedderTests {
    @Test func escalatesInTheDocumentedOrderOneStepPerRunOfOverloadedReports() {
        var shedder = LoadShedder(highWater: 0.9, lowWater: 0.5, escalateAfter: 3)
        let levels = feed(&shedder, load: 1.2, from: 0, to: 1200 * ms, every: 100 * ms)
        #expect(levels == [.none, .none, .skipSceneScoring,
                           .skipSceneScoring, .skipSceneScoring, .lowerGroundingResolution,
                           .lowerGroundingResolution, .lowerGroundingResolution, .rejectCommands,
                           .rejectCommands, .rejectCommands, .rejectCommands])
        #expect(shedder.changes == 3)
    }

    /// The old shedder stepped down only after 30 relaxed frame reports; now the level
    /// steps down once per quiet period without pressure, reports or not.
    @Test func relaxesInReverseOnePerQuietPeriodWhileTheWorkRunsFine() {
        var shedder = LoadShedder(escalateAfter: 3, quietPeriodNs: second)
        feed(&shedder, load: 1.2, from: 0, to: 900 * ms, every: 100 * ms)
        #expect(shedder.level == .rejectCommands)
        // The last pressure was at 0.9 s; grounding keeps reporting, relaxed, at 5 Hz.
        var changes: [(UInt64, ShedLevel)] = []
        var previous = shedder.level
        var now = 900 * ms
        while now < 10 * second {
            now += 200 * ms
            let level = shedder.record(load: 0.2, atNs: now)
            if level != previous { changes.append((now, level)) }
            previous = level
        }
        #expect(changes.map(\.1) == [.lowerGroundingResolution, .skipSceneScoring, .none])
        // One step per quiet period, each seen at the first report after it was due.
        #expect(changes.map(\.0) == [1900 * ms, 2900 * ms, 3900 * ms])
    }

    @Test func loadBetweenTheMarksHoldsTheLevel() {
        var shedder = LoadShedder(highWater: 0.9, lowWater: 0.5, escalateAfter: 2)
        feed(&shedder, load: 1.0, from: 0, to: 200 * ms, every: 100 * ms)
        #expect(shedder.level == .skipSceneScoring)
        // A minute of load alternating over the high mark and inside the band: the runs
        // never reach two and the band is pressure, so the level neither climbs nor falls.
        var levels = Set<ShedLevel>()
        var now = 200 * ms
        for i in 0..<600 {
            now += 100 * ms
            levels.insert(shedder.record(load: i.isMultiple(of: 2) ? 0.95 : 0.7, atNs: now))
        }
        #expect(levels == [.skipSceneScoring])
        // Exactly at the high mark is not over it.
        for _ in 0..<100 {
            now += 100 * ms
            levels.insert(shedder.record(load: 0.9, atNs: now))
        }
        #expect(levels == [.skipSceneScoring])
        #expect(shedder.changes == 1)
    }

    /// The field fault: the only intent was cancelled, shedding had stopped scene jobs,
    /// so no frame job reported any more and the level stayed up for minutes.
    @Test func stepsDownWhenNoFrameJobReportsAtAll() {
        var shedder = LoadShedder(escalateAfter: 3, quietPeriodNs: second)
        feed(&shedder, load: 2.0, from: 0, to: 900 * ms, every: 100 * ms)
        #expect(shedder.level == .rejectCommands)
        #expect(shedder.nextStepDownNs == 1900 * ms)
        #expect(shedder.relax(atNs: 1899 * ms) == .rejectCommands)
        #expect(shedder.relax(atNs: 1900 * ms) == .lowerGroundingResolution)
        // Read late: every step that fell due meanwhile is taken at once.
        #expect(shedder.relax(atNs: 60 * second) == ShedLevel.none)
        #expect(shedder.changes == 6)
        #expect(shedder.nextStepDownNs == nil)
    }

    /// Ten rounds of load and idle, with load phases of varied length and the scene
    /// probes a node runs while shedding: the level is back at none within 5 s of the
    /// last overloaded report in every round, whether frame jobs report while idle or not.
    @Test(arguments: [false, true])
    func loadIdleCyclesAlwaysRecoverWithinFiveSeconds(idleSceneJobsReport: Bool) {
        var shedder = LoadShedder()
        var cadence = SceneCadence(intervalNs: 500 * ms, probeIntervalNs: second)
        var random = SplitMix64(seed: idleSceneJobsReport ? 7 : 11)
        var now: UInt64 = second
        var peaks: [ShedLevel] = []
        for _ in 0..<10 {
            // Load: an intent grounded at 5 Hz over budget; scene jobs (probes while shed)
            // wait behind it, so they run late too. Camera at 30 fps.
            let loadEnds = now + random.next(in: 2 * second...20 * second)
            var lastOverloadedNs = now
            var peak = ShedLevel.none
            var frame: UInt64 = 0
            while now < loadEnds {
                now += 33 * ms
                frame += 1
                if frame % 6 == 0 {
                    shedder.record(load: 1.1 + Double(random.next() % 40) / 100, atNs: now)
                    lastOverloadedNs = now
                }
                switch cadence.decide(capturedNs: now, level: shedder.relax(atNs: now)) {
                case .score, .probe:
                    shedder.record(load: 1.3, atNs: now, work: .shedAt(.skipSceneScoring))
                    lastOverloadedNs = now
                case .tooSoon, .shed: break
                }
                peak = max(peak, shedder.level)
            }
            peaks.append(peak)
            // Idle: no grounding. Scene jobs (or probes) run on time, or no frames come at all.
            let idleEnds = now + random.next(in: 6 * second...12 * second)
            var recoveredAfter: UInt64?
            while now < idleEnds {
                now += 33 * ms
                if idleSceneJobsReport {
                    switch cadence.decide(capturedNs: now, level: shedder.relax(atNs: now)) {
                    case .score, .probe: shedder.record(load: 0.3, atNs: now, work: .shedAt(.skipSceneScoring))
                    case .tooSoon, .shed: break
                    }
                }
                if recoveredAfter == nil, shedder.relax(atNs: now) == .none { recoveredAfter = now - lastOverloadedNs }
            }
            #expect(recoveredAfter.map { $0 <= 5 * second } == true,
                    "recovered \(recoveredAfter.map { Double($0) / 1e9 } ?? .infinity) s after the load ended")
            #expect(shedder.level == .none, "and stays there while idle")
        }
        // The load was real: every round shed at least down to coarse grounding.
        #expect(peaks.allSatisfy { $0 >= .lowerGroundingResolution })
    }

    /// Grounding that fits only at the coarse resolution: level 2 brings it under the low
    /// mark, level 1 puts it over the high mark. The shedder tries level 1 again now and
    /// then, but each failed try doubles how long it waits, so the level does not flap.
    @Test func doesNotFlapWhenOnlyTheShedLevelKeepsTheLoadDown() {
        var shedder = LoadShedder(quietPeriodNs: second, maxHoldNs: 30 * second)
        var now: UInt64 = 0
        var downSteps: [UInt64] = []
        var atTwoOrMore: UInt64 = 0, total: UInt64 = 0
        while now < 600 * second {
            now += 200 * ms  // grounding at 5 Hz
            let before = shedder.level
            let level = shedder.record(load: before >= .lowerGroundingResolution ? 0.3 : 1.2, atNs: now)
            if level < before { downSteps.append(now) }
            if now > 120 * second {
                total += 1
                if level >= .lowerGroundingResolution { atTwoOrMore += 1 }
            }
        }
        // Tries at growing intervals: 1, 2, 4, 8, 16 s, then at most one per 30 s.
        let gaps = zip(downSteps.dropFirst(), downSteps).map { $0 - $1 }
        #expect(gaps.count >= 5)
        #expect(zip(gaps.dropFirst(), gaps).allSatisfy { $0 >= $1 })
        #expect(gaps.suffix(from: 5).allSatisfy { $0 >= 30 * second })
        #expect(downSteps.filter { $0 > 120 * second }.count <= 17)
        #expect(Double(atTwoOrMore) / Double(total) > 0.97)
    }

    @Test func aFlapLongAgoDoesNotSlowTheNextRecovery() {
        var shedder = LoadShedder(quietPeriodNs: second, maxHoldNs: 30 * second, flapWindowNs: 10 * second)
        var now: UInt64 = 0
        // Flap between 1 and 2 for a while, building up level 2's hold.
        while now < 120 * second {
            now += 200 * ms
            shedder.record(load: shedder.level >= .lowerGroundingResolution ? 0.3 : 1.2, atNs: now)
        }
        // The intent ends with grounding still fine at level 2: no more reports.
        let ended = now
        #expect(shedder.level >= .lowerGroundingResolution)
        let recovery = timeToNone(&shedder, from: ended, limit: 60 * second)
        #expect(recovery.map { $0 <= 3 * second } == true)
    }

    @Test func shedWorkRaisesTheLevelOnlyAsFarAsItsOwnStep() {
        var shedder = LoadShedder(quietPeriodNs: second, probeHoldNs: 2500 * ms)
        feed(&shedder, load: 3.0, from: 0, to: 60 * second, every: 100 * ms, work: .shedAt(.skipSceneScoring))
        #expect(shedder.level == .skipSceneScoring)
        #expect(shedder.changes == 1)
    }

    @Test func overloadedProbesHoldTheirLevelAndRelaxedOnesLetItGo() {
        var shedder = LoadShedder(quietPeriodNs: second, probeHoldNs: 2500 * ms)
        feed(&shedder, load: 1.5, from: 0, to: 300 * ms, every: 100 * ms, work: .shedAt(.skipSceneScoring))
        #expect(shedder.level == .skipSceneScoring)
        // One overloaded probe a second for a minute keeps scene scoring shed.
        let held = feed(&shedder, load: 1.5, from: 300 * ms, to: 60 * second + 300 * ms, every: second,
                        work: .shedAt(.skipSceneScoring))
        #expect(Set(held) == [.skipSceneScoring])
        // Probes on time: the level goes once the last overloaded probe's hold has passed.
        let lastPressure = 60 * second + 300 * ms
        let relaxed = feed(&shedder, load: 0.2, from: lastPressure, to: lastPressure + 10 * second, every: second,
                           work: .shedAt(.skipSceneScoring))
        #expect(relaxed.prefix(2) == [.skipSceneScoring, .skipSceneScoring])
        #expect(relaxed[2] == ShedLevel.none)
    }

    @Test func probePressureDoesNotHoldTheLevelsAboveIt() {
        var shedder = LoadShedder(quietPeriodNs: second, probeHoldNs: 2500 * ms)
        feed(&shedder, load: 1.5, from: 0, to: 900 * ms, every: 100 * ms)
        #expect(shedder.level == .rejectCommands)
        // Grounding stops; probes stay late (they are all the executor still sees).
        var now = 900 * ms
        var levels: [(UInt64, ShedLevel)] = []
        while now < 20 * second {
            now += 500 * ms
            levels.append((now, shedder.record(load: 1.5, atNs: now, work: .shedAt(.skipSceneScoring))))
        }
        #expect(levels.first { $0.1 == .lowerGroundingResolution }?.0 == 1900 * ms)
        #expect(levels.first { $0.1 == .skipSceneScoring }?.0 == 2900 * ms)
        #expect(levels.last?.1 == .skipSceneScoring)
    }

    @Test func aNaNLoadCountsAsAMiss() {
        var shedder = LoadShedder(escalateAfter: 2)
        shedder.record(load: .nan, atNs: 1)
        shedder.record(load: .nan, atNs: 2)
        #expect(shedder.level == .skipSceneScoring)
    }
}

@Suite struct SceneCadenceTests {
    @Test func scoresAtTheIntervalAndProbesOncePerProbeIntervalWhileShed() {
        var cadence = SceneCadence(intervalNs: 200 * ms, probeIntervalNs: second)
        var decisions: [SceneCadence.Decision] = []
        // A frame every 33 ms: about 1 s unshed, 3 s shed, 1 s unshed again.
        for frame in UInt64(0)..<150 {
            let level: ShedLevel = (30..<120).contains(frame) ? .skipSceneScoring : .none
            decisions.append(cadence.decide(capturedNs: frame * 33 * ms, level: level))
        }
        // Scored at 0, 231, 462, 693, 924 ms.
        #expect(decisions[0..<30].filter { $0 == .score }.count == 5)
        // Probes a second after the last scored frame: at 1947 and 2970 ms.
        let shed = decisions[30..<120]
        #expect(shed.firstIndex(of: .probe) == 59 && shed.lastIndex(of: .probe) == 90)
        #expect(shed.filter { $0 == .probe }.count == 2)
        #expect(shed.filter { $0 == .shed }.count == 88)
        #expect(!shed.contains(.score) && !shed.contains(.tooSoon))
        #expect(decisions[120..<150].filter { $0 == .score }.count == 5)
    }

    @Test func everyLevelFromSkipSceneScoringUpProbes() {
        for level in ShedLevel.allCases {
            var cadence = SceneCadence(intervalNs: 0, probeIntervalNs: second)
            let first = cadence.decide(capturedNs: 5 * second, level: level)
            let next = cadence.decide(capturedNs: 5 * second + ms, level: level)
            if level == .none {
                #expect(first == .score && next == .score)
            } else {
                #expect(first == .probe && next == .shed)
            }
        }
    }

    @Test func aClockThatStartsOverRestartsTheCadence() {
        var cadence = SceneCadence(intervalNs: 500 * ms)
        #expect(cadence.decide(capturedNs: 100 * second, level: .none) == .score)
        #expect(cadence.decide(capturedNs: 100 * second + ms, level: .none) == .tooSoon)
        #expect(cadence.decide(capturedNs: 3 * second, level: .none) == .score)
    }
}

extension SplitMix64 {
    /// A value in `range` (modulo reduction: the slight bias does not matter here).
    mutating func next(in range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + next() % (range.upperBound - range.lowerBound + 1)
    }
}
