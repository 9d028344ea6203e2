import Capture
import Foundation
import Kernels
import Logging

/// The resolved configuration as JSON, with the launch file's key names (what `launch-check` prints).
extension LaunchConfiguration: Encodable {
    enum CodingKeys: String, CodingKey {
        case file, source, models, endpoints, keys, scene, actions, calibration, metrics, limits, intents
        case budgets = "budgets_ms", logLevel = "log_level"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(source, forKey: .source)
        try container.encode(models, forKey: .models)
        try container.encode(endpoints, forKey: .endpoints)
        try container.encode(keys, forKey: .keys)
        try container.encode(budgets, forKey: .budgets)
        try container.encode(scene, forKey: .scene)
        try container.encode(actions, forKey: .actions)
        try container.encodeIfPresent(calibration, forKey: .calibration)
        try container.encode(logLevel.rawValue, forKey: .logLevel)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(limits, forKey: .limits)
        try container.encode(intents, forKey: .intents)
    }

    /// Pretty, key-sorted JSON.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every member is plain data (strings, numbers, bools); encoding cannot fail.
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}

extension LaunchConfiguration.Source: Encodable {
    enum CodingKeys: String, CodingKey { case v4l2, replay }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .v4l2(let camera): try container.encode(camera, forKey: .v4l2)
        case .replay(let replay): try container.encode(replay, forKey: .replay)
        }
    }
}

extension LaunchConfiguration.Models: Encodable {
    enum CodingKeys: String, CodingKey {
        case clip, interpreter, mmproj, prompt, precision, threads
        case bf16Threads = "bf16_threads", interpreterSettings = "interpreter_settings"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(clip, forKey: .clip)
        try container.encodeIfPresent(interpreter, forKey: .interpreter)
        try container.encodeIfPresent(mmproj, forKey: .mmproj)
        try container.encodeIfPresent(prompt, forKey: .prompt)
        try container.encode(precision.rawValue, forKey: .precision)
        try container.encode(threads, forKey: .threads)
        try container.encode(bf16Threads, forKey: .bf16Threads)
        try container.encode(interpreterSettings, forKey: .interpreterSettings)
    }
}
