import Foundation
import Ngspice
import TestSupport
import Testing

/// Writes files into a fresh folder and returns it.
private func folder(_ files: [String: String]) throws -> String {
    let dir = try TestEnvironment.temporaryDirectory("flat")
    for (name, text) in files {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return dir
}

private func refusal(_ text: String, in dir: String = "/") -> DeckError? {
    do {
        _ = try DeckFlattener.flatten(text: text, baseDirectory: dir, name: dir + "/deck.sp")
        return nil
    } catch let e as DeckError {
        return e
    } catch {
        return nil
    }
}

@Suite("Deck flattening")
struct DeckFlattenerTests {
    @Test("includes resolve from the including file's folder, sections are picked by name, continuations join")
    func resolvesTree() throws {
        let dir = try folder([
            "lib/models.lib": """
            * two sections; only `fast` is asked for
            .lib slow
            .model mm nmos level=1 vto=0.9
            .endl
            .lib fast
            .include parts/extra.inc
            .model mm nmos level=1
            + vto=0.4
            .endl
            r_outside x y 1
            """,
            "lib/parts/extra.inc": "r_extra e 0 7\n",
        ])
        let flat = try DeckFlattener.flatten(text: """
        my title
        * a comment
        .lib 'lib/models.lib' FAST
        m1 d g 0 0 mm w=1u
        + l=1u
        .end
        r_after_end a 0 1
        """, baseDirectory: dir, name: dir + "/deck.sp")
        // hand-worked: the title, the fast section's cards (its include first), the deck's own card, .end
        #expect(flat.lines == [
            "bmru deck: my title",
            "r_extra e 0 7",
            ".model mm nmos level=1  vto=0.4",
            "m1 d g 0 0 mm w=1u  l=1u",
            ".end",
        ])
        #expect(flat.origins.map(\.line) == [1, 1, 7, 4, 6])
        #expect(flat.origins.map(\.given) == [true, false, false, true, true])
        #expect(flat.files == [dir + "/lib/models.lib", dir + "/lib/parts/extra.inc"])
        #expect(flat.removed.isEmpty)
    }

    @Test("the GF180MCU library flattens to the same circuit ngspice builds from the files itself")
    func modelLibrary() throws {
        let models = try TestEnvironment.modelsDirectory()
        let deck = "mirror\n.include \"\(models)/design.ngspice\"\n.lib \"\(models)/sm141064.ngspice\" typical\n"
            + "vdd d 0 1.8\nm1 d d 0 0 nmos_3p3 w=2u l=4u\n.op\n.end\n"
        let flat = try DeckFlattener.flatten(text: deck, baseDirectory: "/")
        // the typical section pulls in nmos_3p3_t (and others) from the same file: the device's model is there
        #expect(flat.lines.contains { $0.lowercased().hasPrefix(".model nmos_3p3.") || $0.lowercased().hasPrefix(".subckt nmos_3p3") }
                || flat.lines.contains { $0.lowercased().contains("nmos_3p3") })
        #expect(!flat.lines.contains { $0.lowercased().hasPrefix(".lib") || $0.lowercased().hasPrefix(".inc") })
        #expect(flat.files == ["\(models)/design.ngspice", "\(models)/sm141064.ngspice"])
        // and it simulates: a diode-connected 3.3 V nmos at 1.8 V conducts (tens of µA, not pA)
        let r = try Simulator.shared.run(SimulationRequest(deck: deck))
        let i = try #require(r.vector("i(vdd)")?.first)
        #expect(-i > 1e-6 && -i < 1e-2, "\(i)")
    }

    @Test("cards that are not circuit cards are refused with file and line", arguments: [
        (".exec\nshell ls\n", ".exec", 2),
        (".newcard x\n", ".newcard", 2),
        (".model src filesource (file=\"x.txt\")\n", "filesource", 2),
        ("a1 %v([a]) src\n.model src d_source (input_file=\"x.txt\")\n", "d_source", 3),
        ("r1 a 0 1 profile=3\nv1 a 0 file=\"x\"\n", "file=", 3),
        ("123 a b\n", "not a SPICE card", 2),
        ("+ orphan continuation\n", "continues no card", 2),
        ("lonely\n", "needs nodes", 2),
    ])
    func refusedCards(body: String, reason: String, line: Int) throws {
        let e = try #require(refusal("title\n" + body + ".end\n"))
        #expect(e.description.contains(reason), "\(e)")
        #expect(e.line == line, "\(e)")
        #expect(e.quoted != nil, "a line of the given deck is quoted: \(e)")
    }

    @Test("include cycles, missing files and sections, folders and devices are refused")
    func badIncludes() throws {
        let dir = try folder([
            "self.inc": ".include self.inc\n",
            "a.lib": ".lib one\nr1 a 0 1\n.endl\n",
            "open.lib": ".lib open\nr1 a 0 1\n",
        ])
        let cases: [(String, DeckError.Kind, String)] = [
            (".include self.inc", .nesting, "inside itself"),
            (".include nowhere.inc", .missingFile, "does not exist"),
            (".lib a.lib two", .missingSection, "no section two"),
            (".lib open.lib open", .missingSection, "no .endl"),
            (".include /dev/zero", .missingFile, "not a regular file"),
            (".include /tmp", .missingFile, "not a regular file"),
            (".include", .refusedCard, "names no file"),
        ]
        for (card, kind, reason) in cases {
            let e = try #require(refusal("t\n\(card)\nr1 a 0 1\n.end\n", in: dir), "\(card)")
            #expect(e.kind == kind, "\(card): \(e)")
            #expect(e.description.contains(reason), "\(card): \(e)")
        }
    }

    @Test("a lone control character or invalid UTF-8 in an included file is refused without quoting it")
    func binaryInclude() throws {
        let dir = try folder(["bin.inc": "r1 a 0 1\nr2 b 0 \u{1}secret\n"])
        let e = try #require(refusal("t\n.include bin.inc\n.end\n", in: dir))
        #expect(e.kind == .notSpice && e.line == 2 && e.quoted == nil, "\(e)")
        #expect(!e.description.contains("secret"))
        #expect(e.via == ["\(dir)/deck.sp line 2"], "\(e.via)")
    }

    @Test("a title that tries to be something else becomes plain text")
    func title() throws {
        let flat = try DeckFlattener.flatten(text: ".control\nr1 a 0 1\n.end", baseDirectory: "/")
        #expect(flat.lines.first == "bmru deck: .control")
        let other = try DeckFlattener.flatten(text: "*#shell rm -rf x; echo `id`\nr1 a 0 1\n.end", baseDirectory: "/")
        #expect(other.lines.first == "bmru deck: shell rm -rf x echo id")
    }
}
