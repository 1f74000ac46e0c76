import Foundation
import Ngspice
import TestSupport
import Testing

/// A GF180MCU nmos_3p3 mirror: reference W 2 µm, output W 6 µm (ratio 3), L 4 µm, output held at VDD.
private func mirrorDeck(input: Double, stop: Double) throws -> String {
    """
    nmos mirror ratio 3
    \(try TestEnvironment.modelIncludes())
    vdd vdd 0 1.8
    iin vdd d \(input)
    m1 d d 0 0 nmos_3p3 w=2u l=4u
    m2 out d 0 0 nmos_3p3 w=6u l=4u
    vout vdd out 0
    .options abstol=1e-15 chgtol=1e-18 gmin=1e-15
    .tran \(stop / 200) \(stop) 0 \(stop / 100)
    .end
    """
}

@Suite("In-process ngspice")
struct SimulatorTests {
    /// Physics: in weak inversion the drain current scales with W/L at equal gate-source voltage, so the
    /// output should carry about 3× the input. Drain-induced barrier lowering (output at 1.8 V, input at its
    /// gate voltage) adds some percent, so a ±15 % band around 3 holds at every current in weak inversion.
    @Test("nmos mirror of ratio 3 copies 100 pA, 1 nA and 10 nA within 15 %", arguments: [1e-10, 1e-9, 1e-8])
    func mirrorRatio(input: Double) throws {
        // the gate node (a few fF) is charged by the input current: allow ~20 time constants
        let stop = input < 5e-10 ? 20e-3 : 2e-3
        let r = try Simulator.shared.run(SimulationRequest(deck: try mirrorDeck(input: input, stop: stop),
                                                           vectors: ["i(vout)"]))
        let iout = try #require(r.vector("i(vout)")?.last)
        let ratio = iout / input
        #expect(abs(ratio - 3) / 3 < 0.15, "ratio \(ratio) at \(input) A")
        // settled: the last tenth of the run moves by less than 0.1 %
        let v = try #require(r.vector("i(vout)"))
        let tenth = v[v.count * 9 / 10]
        #expect(abs(tenth - iout) / iout < 1e-3, "not settled: \(tenth) -> \(iout)")
    }

    @Test("the same deck gives the same vector in-process and through `ngspice -b` (1e-9 relative)")
    func matchesCommandLine() throws {
        let ngspice = try TestEnvironment.ngspiceCLI()
        let dir = try TestEnvironment.temporaryDirectory("cli")
        let deck = try mirrorDeck(input: 1e-9, stop: 2e-3)
        let inProcess = try Simulator.shared.run(SimulationRequest(deck: deck, vectors: ["i(vout)"]))
        // The CLI writes the same vector with wrdata from its own control block.
        let cliDeck = deck.replacingOccurrences(of: ".end", with: """
        .control
        run
        set wr_singlescale
        set wr_vecnames
        option numdgt=15
        wrdata \(dir)/out.txt i(vout)
        quit 0
        .endc
        .end
        """)
        try cliDeck.write(toFile: dir + "/deck.sp", atomically: true, encoding: .utf8)
        let out = try TestEnvironment.run(ngspice, ["-b", dir + "/deck.sp"], cwd: dir)
        #expect(out.status == 0, "ngspice -b failed: \(out.stderr)")
        let text = try String(contentsOfFile: dir + "/out.txt", encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).compactMap { Double($0) } }
        let cliTime = rows.map { $0[0] }, cliI = rows.map { $0[1] }
        let time = try #require(inProcess.vector("time")), current = try #require(inProcess.vector("i(vout)"))
        #expect(cliTime.count == time.count)
        for (a, b) in zip(current, cliI) {
            #expect(abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-24, "\(a) vs \(b)")
        }
    }

    @Test("a parse error, a missing model, a missing include and a non-converging deck each throw ngspice's reason, and a good deck runs afterwards")
    func errorsCarryReasonAndRecover() throws {
        let inc = try TestEnvironment.modelIncludes()
        let cases: [(String, SimulationError.Kind, String)] = [
            ("unknown subcircuit\nv1 a 0 1\nx1 a b nosuchsub\n.op\n.end", .parse, "nosuchsub"),
            ("missing model\n\(inc)\nvdd d 0 1\nm1 d d 0 0 nmos_bogus w=2u l=4u\n.op\n.end", .model, "modelname"),
            ("missing include\n.include /nonexistent/dir/none.ngspice\nv1 a 0 1\nr1 a 0 1k\n.op\n.end", .missingFile, "none.ngspice"),
            ("""
            no convergence
            v1 in 0 pulse(0 5 1n 1f 1f 5n 10n)
            d1 in out dmod
            c1 out 0 1e-15
            l1 out 0 1e-15
            .model dmod d(is=1e-30 n=0.1)
            .options itl4=3 reltol=1e-9
            .tran 1p 20n
            .end
            """, .convergence, "timestep too small"),
        ]
        for (deck, kind, reason) in cases {
            do {
                _ = try Simulator.shared.run(SimulationRequest(deck: deck))
                Issue.record("deck '\(deck.prefix(20))' should have failed")
            } catch let e as SimulationError {
                #expect(e.kind == kind, "\(e)")
                // ngspice's own words, or (for a missing include, found before ngspice runs) the flattener's
                #expect(e.description.lowercased().contains(reason.lowercased()), "\(e)")
            }
            // the library still works, and runs the new circuit, not a stale one
            let good = try Simulator.shared.run(SimulationRequest(deck: "divider\nv1 a 0 2\nr1 a b 1k\nr2 b 0 3k\n.op\n.end"))
            let vb = try #require(good.vector("v(b)")?.first)
            #expect(abs(vb - 1.5) < 1e-9)
        }
    }

    @Test("a run over its wall-clock limit is halted and reported as a timeout naming the limit; the simulator then runs new circuits, and halts again")
    func timeout() throws {
        // 10 ms of a 1 MHz source at 1 ps steps: far more than any limit below allows
        let slow = "slow\nv1 a 0 sin(0 1 1meg)\nr1 a b 1k\nc1 b 0 1n\n.tran 1p 10m 0 1p\n.end"
        for (limit, r2, vb) in [(0.5, 1.0, 0.5), (0.7, 3.0, 0.75)] {
            do {
                let r = try Simulator.shared.run(SimulationRequest(deck: slow, timeout: limit))
                Issue.record("should have timed out, returned plot \(r.plotName)")
            } catch let e as SimulationError {
                #expect(e.kind == .timeout, "\(e)")
                #expect(e.message.contains("wall-clock limit of \(limit) s") && e.message.contains("halted"), "\(e)")
            }
            // the halted circuit is gone: the next deck's own operating point (r2 / (1k + r2)), from a new op plot
            let good = try Simulator.shared.run(SimulationRequest(deck: "divider\nv1 a 0 1\nr1 a b 1k\nr2 b 0 \(r2)k\n.op\n.end"))
            #expect(good.plotName.lowercased().hasPrefix("op"), "\(good.plotName)")
            #expect(abs((good.vector("b")?.first ?? 0) - vb) < 1e-9, "\(good.vectorNames)")
            #expect(good.vector("time") == nil)
        }
    }

    @Test(".control blocks in a deck are not executed in-process")
    func controlBlockIgnored() throws {
        let dir = try TestEnvironment.temporaryDirectory("ctl")
        let marker = dir + "/marker"
        let deck = "ctl\nv1 a 0 1\nr1 a 0 1k\n.op\n.control\nshell touch \(marker)\n.endc\n.end"
        _ = try Simulator.shared.run(SimulationRequest(deck: deck))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a requested vector that does not exist is an error naming it")
    func missingVector() throws {
        do {
            _ = try Simulator.shared.run(SimulationRequest(deck: "x\nv1 a 0 1\nr1 a 0 1k\n.op\n.end", vectors: ["v(nothere)"]))
            Issue.record("should have failed")
        } catch let e as SimulationError {
            #expect(e.kind == .noResult)
            #expect(e.message.contains("nothere"))
        }
    }
}
