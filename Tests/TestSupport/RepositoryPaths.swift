public import Foundation

/// Where the checkout and its committed test fixtures are, found from this file's place
/// (Tests/TestSupport/RepositoryPaths.swift), so tests work from any current directory.
public enum RepositoryPaths {
    /// The repository's root folder (the one holding Package.swift).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/Fixtures: the small committed models, references and files the tests read.
    public static let fixtures = root.appendingPathComponent("Tests/Fixtures")
}
