@testable import Tokenizers
import Testing

/// The clean-up steps on their own, checked against Python's answers.
@Suite struct TextCleanupTests {
    private func codePoints(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }
    private func text(_ c: [UInt32]) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: c.map { Unicode.Scalar($0)! })
        return s
    }

    @Test(arguments: [
        // (input, ftfy.fix_text(input)) from ftfy 6.3.1
        ("&amp;amp;", "&"),
        ("<b>&amp;</b>", "<b>&amp;</b>"),  // real HTML keeps its entities
        ("&#59; &#x27;", "&#59; '"),  // a reference that decodes to ';' stays
        ("P&EACUTE;REZ", "PÉREZ"),
        ("CafÃ©", "Café"),
        ("The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.", "The Mona Lisa doesn't have eyebrows."),
        ("ＬＯＵＤ　ＮＯＩＳＥＳ", "LOUD NOISES"),
        ("ﬂuﬃeﬆ", "fluffiest"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("\u{1B}[36;44mblue\u{1B}[0m", "blue"),
        ("e\u{301}", "é"),
        ("voilÃ  le travail", "voilà le travail"),
    ])
    func ftfyFixText(_ input: String, _ expected: String) {
        #expect(text(FTFY.fixText(codePoints(input))) == expected)
    }

    @Test func pythonLowercase() {
        // str.lower(): 'İ' becomes two scalars; final sigma depends on context.
        #expect(PythonLowercase.lower(codePoints("İ")) == [0x69, 0x307])
        #expect(text(PythonLowercase.lower(codePoints("ΟΔΥΣΣΕΥΣ"))) == "οδυσσευς")
        #expect(text(PythonLowercase.lower(codePoints("ΣΑΣ ΣΑΣ"))) == "σας σας")
        #expect(text(PythonLowercase.lower(codePoints("Σ"))) == "σ")
    }

    @Test func whitespaceCollapseUsesPythonsTwoNotionsOfSpace() {
        #expect(text(TextCleaner.collapseWhitespace(codePoints("  a \t\n b\u{3000}c  "))) == "a b c")
        // U+1C is not `\s` for the regex module, but str.strip() removes it.
        #expect(text(TextCleaner.collapseWhitespace(codePoints("\u{1C}a\u{1C}b\u{1C}"))) == "a\u{1C}b")
    }

    @Test func preTokenizerFollowsThePattern() {
        var tokens: [String] = []
        PreTokenizer.forEachToken(codePoints("it's 'ſ x3.14 don't!! <|endoftext|>a\u{345}b")) { tokens.append(text(Array($0))) }
        #expect(tokens == ["it", "'s", "'ſ", "x", "3", ".", "1", "4", "don", "'t", "!!", "<|endoftext|>", "a", "b"])
    }

    @Test func nfcComposesAndReorders() {
        #expect(NFC.normalize(codePoints("s\u{307}\u{323}")) == [0x1E69])
        #expect(NFC.normalize(codePoints("\u{1100}\u{1161}\u{11A8}")) == [0xAC01])
        #expect(NFC.normalize(codePoints("\u{212B}")) == [0xC5])
        #expect(NFC.normalize(codePoints("abc")) == codePoints("abc"))
    }
}
