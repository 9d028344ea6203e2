/// What to do about OpenBLAS's kernel set at start-up, decided from facts alone
/// (no environment, no process state) so that it can be tested on other CPUs' fixtures.
public enum BLASCoreDecision: Sendable, Equatable {
    /// The running core fits; nothing to do.
    case keep
    /// Start the process again with `OPENBLAS_CORETYPE` set to this core: OpenBLAS
    /// chose its kernels when it loaded and reads the variable only then.
    case restart(withCore: String)
    /// Carry on with the running core, and say this (one line).
    case warn(String)
    /// Refuse to start: the user's `OPENBLAS_CORETYPE` names kernels this CPU cannot run
    /// (the first matrix product would die of SIGILL), or OpenBLAS would not take it.
    case refuse(String)

    /// Where a set `OPENBLAS_CORETYPE` came from.
    public enum Request: Sendable, Equatable {
        /// The user's environment.
        case user(String)
        /// Our own restart: this process is the one started with that core.
        case restart(String)
    }

    /// The facts the decision is made from.
    public struct Inputs: Sendable, Equatable {
        public var cpu: CPUFeatures
        /// `openblas_get_corename()`: the kernels OpenBLAS loaded.
        public var runningCore: String
        /// False for an OpenBLAS built for one core, which ignores `OPENBLAS_CORETYPE`.
        public var dynamicArch: Bool
        /// A non-empty `OPENBLAS_CORETYPE`, and who set it.
        public var request: Request?

        public init(cpu: CPUFeatures, runningCore: String, dynamicArch: Bool, request: Request?) {
            self.cpu = cpu
            self.runningCore = runningCore
            self.dynamicArch = dynamicArch
            self.request = request
        }
    }

    public static func decide(_ facts: Inputs) -> BLASCoreDecision {
        let cpu = facts.cpu
        let running = OpenBLASCore.named(facts.runningCore)
        switch facts.request {
        case .user(let name):
            return validate(userCore: name, facts: facts, running: running)
        case .restart(let name):
            // Never restart twice: whatever OpenBLAS made of the request, carry on with it.
            if OpenBLASCore.named(name)?.name.lowercased() == facts.runningCore.lowercased() { return .keep }
            return .warn("OpenBLAS did not switch to its \(printable(name)) kernels (it runs \(facts.runningCore)); continuing with those")
        case nil:
            break
        }
        if cpu.knownVendor == .other {
            // A CPU we cannot place: leave OpenBLAS's own choice, which it makes from the same
            // feature bits, rather than guess from a table written for Intel and AMD.
            return .warn("unknown CPU (\(cpu.identity)); using OpenBLAS's \(facts.runningCore) kernels; "
                + "set OPENBLAS_CORETYPE to choose others")
        }
        guard facts.dynamicArch, let best = OpenBLASCore.best(for: cpu) else { return .keep }
        // A core newer than this table (a newer OpenBLAS) is trusted: OpenBLAS knows it better.
        guard let running else { return .keep }
        if cpu.flags.isSuperset(of: running.requires) && running.tier >= best.tier { return .keep }
        return .restart(withCore: best.name)
    }

    /// A value from the environment as it may appear in a one-line message: control
    /// characters replaced, at most 40 characters.
    static func printable(_ value: String) -> String {
        let cleaned = String(value.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return cleaned.count > 40 ? cleaned.prefix(40) + "…" : cleaned
    }

    private static func validate(userCore value: String, facts: Inputs, running: OpenBLASCore?) -> BLASCoreDecision {
        let cpu = facts.cpu
        let name = printable(value)
        let suggestions = OpenBLASCore.suggestions(for: cpu).map(\.name)
        let remedy = suggestions.isEmpty ? "unset it" : "unset it or use one of: \(suggestions.joined(separator: ", "))"
        let requested = OpenBLASCore.named(value)
        let accepted = (requested?.name ?? value).lowercased() == facts.runningCore.lowercased()
        guard accepted else {
            if !facts.dynamicArch {
                return .warn("OPENBLAS_CORETYPE=\(name) has no effect: this OpenBLAS is built for \(facts.runningCore) only")
            }
            guard requested == nil else {
                return .refuse("OPENBLAS_CORETYPE=\(name) was not taken by this OpenBLAS (it runs \(facts.runningCore) instead); \(remedy)")
            }
            // A name this OpenBLAS does not know is ignored by it, harmlessly: it chose from
            // the CPU as if the variable were unset. Refusing to start over it would stop a
            // robot for nothing, so decide as for no request (restarting replaces the value).
            var unset = facts
            unset.request = nil
            let automatic = decide(unset)
            if case .restart = automatic { return automatic }
            return .warn("OPENBLAS_CORETYPE=\(name) is not a core this OpenBLAS has; it was ignored and "
                + "\(facts.runningCore) runs, which fits this CPU")
        }
        guard let core = requested ?? running else {
            return .warn("OPENBLAS_CORETYPE=\(name): cannot check that this CPU (\(cpu.identity)) runs those kernels")
        }
        let missing = core.requires.subtracting(cpu.flags)
        guard missing.isEmpty else {
            return .refuse("OPENBLAS_CORETYPE=\(name) needs \(missing.names.joined(separator: ", ")), which this CPU "
                + "(\(cpu.identity)) lacks; \(remedy)")
        }
        return .keep
    }
}
