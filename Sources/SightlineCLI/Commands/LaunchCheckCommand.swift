import ArgumentParser
import Calibration
import LaunchConfig

struct LaunchCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch-check",
        abstract: "Validate a launch file and print the resolved configuration as JSON.",
        discussion: """
            Applies the --set overrides, validates every key (errors name the file, line and key) and \
            prints the configuration with defaults filled in and paths resolved (~ expanded, relative \
            paths taken from the launch file's folder). With --files it also checks that the files it \
            names exist and that the calibration reads and fits the camera's frame size. \
            Launch/README.md documents the keys.
            """)

    @Argument(help: "Launch file (YAML), e.g. Launch/demo.yaml.")
    var launchFile: String

    @Option(name: .customLong("set"), help: "Override a key, key.path=value (repeatable), e.g. --set models.threads=1.")
    var overrides: [String] = []

    @Flag(help: "Also check that the named files exist and that the calibration loads.")
    var files = false

    func run() throws {
        let launch: LaunchConfiguration
        do throws(LaunchError) {
            launch = try LaunchConfiguration.load(path: launchFile, overrides: overrides)
            if files { try launch.checkFiles() }
        } catch {
            throw CommandFailure(error.description)
        }
        if files, let calibration = launch.calibration {
            do throws(CalibrationError) {
                let camera = try CameraCalibration.load(path: calibration.camera)
                if case .v4l2(let source) = launch.source {
                    _ = try camera.matching(stream: ImageSize(width: source.width, height: source.height))
                }
                if let transform = calibration.baseTransform { _ = try RigidTransform.load(path: transform) }
            } catch {
                throw CommandFailure(error.description)
            }
        }
        print(launch.json)
    }
}
