import COpenBLAS
import Foundation

/// What OpenBLAS runs in this process, for `sightline version`, status and metrics.
public enum OpenBLASRuntime {
    /// The loaded kernel set, e.g. "Cooperlake" (`openblas_get_corename()`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingCharacters(in: .whitespaces)
    }

    /// True when OpenBLAS carries kernels for many CPUs and picks them at load
    /// (so `OPENBLAS_CORETYPE` means something).
    public static var isDynamicArch: Bool { configuration.split(separator: " ").contains("DYNAMIC_ARCH") }
}

/// Makes OpenBLAS run kernels that fit this CPU. OpenBLAS picks its kernels when the
/// library loads, before `main`, and Debian 12's 0.3.21 does not know recent CPUs
/// (on an Intel Sapphire Rapids it runs its SSE3 "Prescott" kernels, 3-4x slower). The
/// only way to change them is `OPENBLAS_CORETYPE` at load, so the process starts itself
/// again once, with the variable set.
public enum BLASCoreStartup {
    public static let coreVariable = "OPENBLAS_CORETYPE"
    /// Set in the restarted process, naming the core it asked for: never restart twice.
    public static let restartMarker = "SIGHTLINE_BLAS_RESTART"
    /// The exit status when the user's core is refused: EX_CONFIG (sysexits.h), a
    /// configuration error a supervisor should not retry.
    public static let refusedExitCode: Int32 = 78

    public enum Outcome: Sendable, Equatable {
        /// Go on; print the warning (one line) if there is one.
        case proceed(warning: String?)
        /// Stop before any BLAS work with this error.
        case refuse(String)
    }

    /// Call first in `main`, before any BLAS work. Does not return when it restarts the process.
    public static func apply() -> Outcome {
        let environment = ProcessInfo.processInfo.environment
        let request: BLASCoreDecision.Request?
        if let asked = environment[restartMarker] {
            request = .restart(asked)
            // Children of this process (another sightline) decide for themselves; the
            // core variable they inherit then counts as a choice they validate.
            if unsetenv(restartMarker) != 0 {
                return .proceed(warning: "could not clear \(restartMarker): \(String(cString: strerror(errno)))")
            }
        } else if let value = environment[coreVariable], !value.isEmpty {
            request = .user(value)
        } else {
            request = nil
        }
        let decision = BLASCoreDecision.decide(.init(
            cpu: .current, runningCore: OpenBLASRuntime.coreName, dynamicArch: OpenBLASRuntime.isDynamicArch,
            request: request))
        switch decision {
        case .keep: return .proceed(warning: nil)
        case .warn(let message): return .proceed(warning: message)
        case .refuse(let message): return .refuse(message)
        case .restart(let core):
            var next = environment
            next[coreVariable] = core
            next[restartMarker] = core
            let failure = restart(environment: next)
            return .proceed(warning: "could not restart with \(coreVariable)=\(core) (\(failure)); "
                + "continuing with OpenBLAS's \(OpenBLASRuntime.coreName) kernels")
        }
    }

    /// Replaces this process with a fresh run of the same binary, the same arguments
    /// and `environment`. Returns only on failure, with the reason.
    private static func restart(environment: [String: String]) -> String {
        let entries = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { entries.forEach { free($0) } }
        if entries.contains(where: { $0 == nil }) { return "out of memory" }
        var envp: [UnsafeMutablePointer<CChar>?] = entries + [nil]
        // /proc/self/exe is this very binary even if its path has changed since it started.
        let result = envp.withUnsafeMutableBufferPointer { envp in
            execve("/proc/self/exe", CommandLine.unsafeArgv, envp.baseAddress)
        }
        return result == -1 ? String(cString: strerror(errno)) : "execve returned \(result)"
    }
}
