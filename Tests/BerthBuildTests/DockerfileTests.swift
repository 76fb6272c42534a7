import BerthCore
import Testing

@testable import BerthBuild

@Suite struct DockerfileParseTests {
    @Test func stagesArgsAndContinuations() throws {
        let f = try Dockerfile.parse(
            """
            # syntax=docker/dockerfile:1
            ARG BASE=busybox
            FROM $BASE AS build
            # a comment
            RUN echo one \\
                # inside a continuation
                two
            COPY --from=x --chown=1:2 a b /dst/
            FROM scratch
            COPY --from=build /out /out
            """)
        #expect(f.metaArgs.map(\.args) == ["BASE=busybox"])
        #expect(f.stages.count == 2)
        #expect(f.stages[0].name == "build")
        #expect(f.stages[0].instructions[0].args == "echo one two")
        #expect(f.stages[0].instructions[1].flags == ["from": "x", "chown": "1:2"])
        #expect(f.stages[0].instructions[1].args == "a b /dst/")
        #expect(f.stages[1].name == nil)
        #expect(f.stepCount == 6)
    }

    @Test func execFormAndEscapeDirective() throws {
        let f = try Dockerfile.parse("# escape=`\nFROM busybox\nRUN echo a `\n  b\nCMD [\"sh\", \"-c\", \"echo hi\"]\n")
        #expect(f.escape == "`")
        #expect(f.stages[0].instructions[0].args == "echo a b")
        #expect(f.stages[0].instructions[1].json == ["sh", "-c", "echo hi"])
    }

    @Test func heredoc() throws {
        let f = try Dockerfile.parse("FROM busybox\nRUN <<EOF\necho a\necho b\nEOF\nCMD x\n")
        #expect(f.stages[0].instructions[0].heredoc == "echo a\necho b\n")
        #expect(f.stages[0].instructions[1].keyword == "CMD")
    }

    @Test func errorsNameTheLine() {
        #expect(throws: BerthError.self) { try Dockerfile.parse("FROM busybox\nFOO bar\n") }
        #expect(throws: BerthError.self) { try Dockerfile.parse("RUN echo before from\n") }
        #expect(throws: BerthError.self) { try Dockerfile.parse("") }
        #expect(throws: BerthError.self) { try Dockerfile.parse("FROM a AS x\nFROM b AS x\n") }
        #expect(throws: BerthError.self) { try Dockerfile.parse("FROM a AS 1x\n") }
        #expect(throws: BerthError.self) { try Dockerfile.parse("FROM busybox\nRUN <<EOF\necho\n") }
        do {
            _ = try Dockerfile.parse("FROM busybox\nFOO bar\n")
        } catch let e as BerthError {
            #expect(e.message == "dockerfile parse error line 2: unknown instruction: FOO")
        } catch {}
    }
}

@Suite struct WordExpanderTests {
    let x = WordExpander()
    let env = ["A": "a", "EMPTY": "", "P": "/usr/bin"]

    @Test func variables() throws {
        #expect(try x.expand("$A-${A}x", env) == "a-ax")
        #expect(try x.expand("${MISSING:-def}/${EMPTY:-e}/${EMPTY-e}", env) == "def/e/")
        #expect(try x.expand("${A:+set}${MISSING:+no}${EMPTY+yes}", env) == "setyes")
        #expect(try x.expand("$P:/x", env) == "/usr/bin:/x")
        #expect(try x.expand("cost $5", env) == "cost ")
        #expect(try x.expand("end$", env) == "end$")
    }

    @Test func quotesAndEscapes() throws {
        #expect(try x.expand("'$A'", env) == "$A")
        #expect(try x.expand("\"$A b\"", env) == "a b")
        #expect(try x.expand("\\$A", env) == "$A")
        #expect(try x.expand("\"a\\\"b\\n\"", env) == "a\"b\\n")
        #expect(throws: BerthError.self) { try x.expand("\"open", env) }
        #expect(throws: BerthError.self) { try x.expand("${A", env) }
        #expect(throws: BerthError.self) { try x.expand("${A/x/y}", env) }
    }

    @Test func keyValues() throws {
        let kv = try x.keyValues("K=\"v 1\" L=$A M=", env, instruction: "ENV")
        #expect(kv.map(\.0) == ["K", "L", "M"])
        #expect(kv.map(\.1) == ["v 1", "a", ""])
        let legacy = try x.keyValues("NAME some words $A", env, instruction: "ENV")
        #expect(legacy.count == 1 && legacy[0].0 == "NAME" && legacy[0].1 == "some words a")
        #expect(throws: BerthError.self) { try x.keyValues("=v", env, instruction: "ENV") }
        #expect(throws: BerthError.self) { try x.keyValues("", env, instruction: "LABEL") }
    }

    @Test func words() throws {
        #expect(try x.words("a \"b c\" 'd e'  f\\ g") == ["a", "\"b c\"", "'d e'", "f\\ g"])
    }
}

@Suite struct DockerIgnoreTests {
    /// Patterns are matched without backtracking: `**/` repeated against a long path that does
    /// not match took minutes as a regular expression (this test would not end); the walk is linear.
    @Test func hostilePatternsStayLinear() throws {
        let p = String(repeating: "**/", count: 40) + "x"
        let g = try GlobPattern(p)
        let path = String(repeating: "a/", count: 200) + "y"
        #expect(!g.matches(path))
        #expect(g.matches(String(repeating: "a/", count: 50) + "x"))
        let stars = try GlobPattern(String(repeating: "*a", count: 30) + "b")
        #expect(!stars.matches(String(repeating: "a", count: 500)))
        #expect(try GlobPattern("[a-c]?[!x]\\*").matches("b1y*"))
        #expect(throws: (any Error).self) { try GlobPattern("[") }
        #expect(throws: (any Error).self) { try GlobPattern("[]") }
        #expect(try GlobPattern("a/**").matches("a/b/c") && !(try GlobPattern("a/*")).matches("a/b/c"))
    }

    @Test func dockerRules() throws {
        let d = try DockerIgnore(
            """
            # comment
            *.log
            !keep.log
            build/
            **/*.tmp
            docs/**/draft*
            /abs
            """)
        #expect(d.excludes("a.log"))
        #expect(!d.excludes("keep.log"))
        #expect(!d.excludes("dir/a.log"))  // `*` does not cross `/`
        #expect(d.excludes("build"))
        #expect(d.excludes("build/x/y.c"))  // inside an excluded directory
        #expect(d.excludes("x.tmp") && d.excludes("a/b/c.tmp"))
        #expect(d.excludes("docs/draft1") && d.excludes("docs/a/b/draft2"))
        #expect(!d.excludes("docs/final"))
        #expect(d.excludes("abs"))
        #expect(!d.excludes("src/main.swift"))
    }

    @Test func lastMatchWins() throws {
        let d = try DockerIgnore("*\n!src\nsrc/secret")
        #expect(d.excludes("README"))
        #expect(!d.excludes("src/main.c"))
        #expect(d.excludes("src/secret"))
        #expect(try DockerIgnore("").isEmpty)
    }

    @Test func patternsAboveTheContextMatchNothing() throws {
        // `!../*` once re-included the whole context.
        let d = try DockerIgnore("secret\n!../*\n../x")
        #expect(d.excludes("secret"))
        #expect(!d.excludes("x"))
        #expect(try DockerIgnore("a/../../b").isEmpty)
        #expect(try DockerIgnore("a/../b").excludes("b"))
    }

    @Test func classesAndQuestion() throws {
        let d = try DockerIgnore("file[0-9].txt\n?.c\n[!a]*.h")
        #expect(d.excludes("file3.txt") && !d.excludes("fileA.txt"))
        #expect(d.excludes("x.c") && !d.excludes("xy.c"))
        #expect(d.excludes("b.h") && !d.excludes("a.h"))
        #expect(throws: BerthError.self) { try DockerIgnore("bad[") }
    }
}
