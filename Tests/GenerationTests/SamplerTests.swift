import Foundation
import Generation
import Testing

/// The sampler's filters against distributions computed by hand from logits [1, 2, 3, 4]
/// (softmax: 0.0321, 0.0871, 0.2369, 0.6439).
@Suite struct SamplerTests {
    static let logits: [Float] = [1, 2, 3, 4]

    func distribution(_ settings: SamplingSettings, _ logits: [Float] = logits, history: [Int32] = []) -> [(Int32, Float)] {
        Sampler(settings).candidates(logits: logits, history: history).map { ($0.id, $0.probability) }
    }

    func expectDistribution(_ actual: [(Int32, Float)], _ expected: [(Int32, Float)], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.map(\.0) == expected.map(\.0), sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) { #expect(abs(a.1 - e.1) < 1e-4, "\(a) vs \(e)", sourceLocation: sourceLocation) }
    }

    @Test func temperatureOneIsTheSoftmax() {
        expectDistribution(distribution(.init(temperature: 1)), [(3, 0.6439), (2, 0.2369), (1, 0.0871), (0, 0.0321)])
    }

    @Test func temperatureDividesTheLogits() {
        // logits / 2 = [0.5, 1, 1.5, 2]
        expectDistribution(distribution(.init(temperature: 2)), [(3, 0.4551), (2, 0.2760), (1, 0.1674), (0, 0.1015)])
    }

    @Test func topKKeepsTheKMostLikely() {
        expectDistribution(distribution(.init(temperature: 1, topK: 2)), [(3, 0.7311), (2, 0.2689)])
        expectDistribution(distribution(.init(temperature: 1, topK: 1)), [(3, 1)])
        #expect(distribution(.init(temperature: 1, topK: 10)).count == 4)
    }

    @Test func topPKeepsTheShortestPrefixReachingP() {
        // 0.6439 < 0.8 <= 0.6439 + 0.2369
        expectDistribution(distribution(.init(temperature: 1, topP: 0.8)), [(3, 0.7311), (2, 0.2689)])
        expectDistribution(distribution(.init(temperature: 1, topP: 0.6)), [(3, 1)])
        #expect(distribution(.init(temperature: 1, topP: 0.99)).count == 4)
    }

    @Test func minPIsRelativeToTheMostLikely() {
        // 0.2 * 0.6439 = 0.129: token 1 (0.0871) goes; 0.1 * 0.6439 = 0.064: it stays.
        expectDistribution(distribution(.init(temperature: 1, minP: 0.2)), [(3, 0.7311), (2, 0.2689)])
        #expect(distribution(.init(temperature: 1, minP: 0.1)).map(\.0) == [3, 2, 1])
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var logits: [Float] = [2, -1, 3, 0.5]
        Sampler.penalize(&logits, history: [0, 1, 0], penalty: 2, window: 64)
        #expect(logits == [1, -2, 3, 0.5])
        var windowed: [Float] = [2, -1, 3, 0.5]
        Sampler.penalize(&windowed, history: [0, 1], penalty: 2, window: 1)
        #expect(windowed == [2, -2, 3, 0.5])
        // Greedy sees the penalised logits: 3 / 1.5 = 2 < 2.9.
        var sampler = Sampler(.init(repetitionPenalty: 1.5))
        #expect(sampler.sample(logits: [3, 2.9], history: [0]) == 1)
        #expect(sampler.sample(logits: [3, 2.9], history: []) == 0)
    }

    @Test func temperatureZeroIsGreedyWithTheLowestIdOnTies() {
        var sampler = Sampler(.greedy)
        #expect(sampler.sample(logits: Self.logits) == 3)
        #expect(sampler.sample(logits: [0, 5, 1, 5]) == 1)
        #expect(distribution(.greedy).map(\.0) == [3])
        // The filters do not matter at temperature 0.
        var filtered = Sampler(.init(temperature: 0, topK: 3, topP: 0.5, minP: 0.3, seed: 9))
        #expect(filtered.sample(logits: [0.3, -2, 7, 6.9]) == 2)
    }

    @Test func aSeedReproducesTheDraws() {
        let logits: [Float] = (0..<50).map { sin(Float($0)) * 2 }
        func draws(_ seed: UInt64) -> [Int32] {
            var sampler = Sampler(.init(temperature: 1, seed: seed))
            return (0..<200).map { _ in sampler.sample(logits: logits) }
        }
        #expect(draws(7) == draws(7))
        #expect(draws(7) != draws(8))
    }

    @Test func theGeneratorIsXoshiro256StarStarSeededBySplitMix64() {
        var random = SeededRandom(seed: 42)
        #expect([random.next(), random.next(), random.next()] == [1546998764402558742, 6990951692964543102, 12544586762248559009])
    }

    @Test func drawsFollowTheDistribution() {
        var sampler = Sampler(.init(temperature: 1, seed: 1))
        var counts = [Int](repeating: 0, count: 4)
        let n = 20000
        for _ in 0..<n { counts[Int(sampler.sample(logits: Self.logits))] += 1 }
        for (i, p) in [0.0321, 0.0871, 0.2369, 0.6439].enumerated() {
            #expect(abs(Double(counts[i]) / Double(n) - p) < 0.015, "token \(i): \(counts[i])")
        }
    }

    @Test func settingsOutOfRangeAreNamed() {
        #expect(SamplingSettings(temperature: -1).validate()?.contains("temperature") == true)
        #expect(SamplingSettings(topK: -1).validate()?.contains("top-k") == true)
        #expect(SamplingSettings(topP: 0).validate()?.contains("top-p") == true)
        #expect(SamplingSettings(minP: 1.5).validate()?.contains("min-p") == true)
        #expect(SamplingSettings(repetitionPenalty: 0).validate()?.contains("penalty") == true)
        #expect(SamplingSettings.greedy.validate() == nil)
    }
}
