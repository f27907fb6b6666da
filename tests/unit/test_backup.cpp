// backup_store: a verified hot copy of a store (setm-verify --backup).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.hpp"
#include "fixtures.hpp"
#include "store.hpp"
#include "verify.hpp"

using namespace setm;
using namespace setm::test;

namespace {

struct Fixture {
    TestChain c;
    TempDir dir;
    std::string store = dir / "store";
    std::string backups = dir / "backups";
    Fixture() {
        Store s = must(Store::create(store, c.genesis_block));
        const Tip t = tip_of(s);
        const Block b = must(mine_block(c.admit_all(), t.hash,
                                        next_block_time(t.last_times, kT0 - 30 * kMinute),
                                        c.genesis.body.bits, 1));
        REQUIRE(s.append_if_tip(b, t.hash, kT0 - 30 * kMinute));
        REQUIRE(::mkdir(backups.c_str(), 0755) == 0);
    }
};

// The names in a directory, "." and ".." left out, sorted.
std::vector<std::string> entries(const std::string& path) {
    std::vector<std::string> names;
    DIR* d = ::opendir(path.c_str());
    REQUIRE(d);
    while (const dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST_CASE("backup: a copy of the store, verified, under its new name", "[backup]") {
    Fixture f;
    const std::string dest = f.backups + "/one";
    const BackupReport r = must(backup_store(f.store, dest + "/", kT0, 1));
    CHECK(r.path == dest);
    CHECK(r.verified.chain == f.c.id);
    CHECK(r.verified.height == 1);
    CHECK(r.verified.records == 1 + f.c.admit_all().size());
    CHECK(entries(f.backups) == std::vector<std::string>{"one"});
    CHECK(entries(dest) == std::vector<std::string>{"data.mdb"});
    struct stat st {};
    REQUIRE(::stat((dest + "/data.mdb").c_str(), &st) == 0);
    CHECK(static_cast<std::uint64_t>(st.st_size) == r.bytes);
    // The copy is a store of its own, at the source's tip.
    Store copy = must(Store::open(dest, true));
    Store src = must(Store::open(f.store, true));
    CHECK(tip_of(copy).hash == tip_of(src).hash);
    auto snap = must(copy.snapshot());
    CHECK(must(verify_chain(snap->state(), kT0, 1)).report.tip == r.verified.tip);
}

TEST_CASE("backup: refusals leave nothing behind", "[backup]") {
    Fixture f;
    const std::string dest = f.backups + "/one";
    REQUIRE(backup_store(f.store, dest, kT0, 1));
    SECTION("an existing backup") {
        const Error e = must_fail(backup_store(f.store, dest, kT0, 1));
        CHECK(e.code == Exit::io);
        CHECK(e.reason == "backup exists");
        CHECK_FALSE(e.hint.empty());
    }
    SECTION("an existing empty directory") {
        REQUIRE(::mkdir((f.backups + "/empty").c_str(), 0755) == 0);
        CHECK(must_fail(backup_store(f.store, f.backups + "/empty", kT0, 1)).reason ==
              "backup exists");
        CHECK(entries(f.backups + "/empty").empty());
    }
    SECTION("a parent that does not exist") {
        const Error e = must_fail(backup_store(f.store, f.backups + "/no/two", kT0, 1));
        CHECK(e.code == Exit::io);
        CHECK(e.hint.find("mkdir -p") != std::string::npos);
    }
    SECTION("no store") {
        const Error e = must_fail(backup_store(f.dir / "nothing", f.backups + "/two", kT0, 1));
        CHECK(e.is(ErrorKind::no_store));
    }
    SECTION("a time before the chain's blocks: the copy does not verify (68)") {
        const Error e = must_fail(backup_store(f.store, f.backups + "/two", kT0 - 10 * kDay, 1));
        CHECK(e.code == Exit::verify_failed);
        CHECK(e.reason == "bad time");
    }
    SECTION("an empty path") {
        CHECK(must_fail(backup_store(f.store, "", kT0, 1)).code == Exit::usage);
    }
    CHECK(entries(f.backups).size() <= 2); // "one", and "empty" in its section
    for (const auto& n : entries(f.backups)) CHECK(n.rfind(".", 0) != 0);
}

TEST_CASE("backup: a copy taken while a block is appended is the chain before or after it",
          "[backup]") {
    Fixture f;
    Store s = must(Store::open(f.store, false));
    const Tip before = tip_of(s);
    // An open read snapshot does not stop the copy, nor the copy a writer.
    auto snap = must(s.snapshot());
    const BackupReport r1 = must(backup_store(f.store, f.backups + "/a", kT0, 1));
    const auto offer = f.c.sign(f.c.offer_body(f.c.producer), f.c.producer);
    const Block b = must(mine_block({offer}, before.hash, next_block_time(before.last_times, kT0),
                                    f.c.genesis.body.bits, 1));
    REQUIRE(s.append_if_tip(b, before.hash, kT0));
    const BackupReport r2 = must(backup_store(f.store, f.backups + "/b", kT0, 1));
    CHECK(r1.verified.height == before.height);
    CHECK(r1.verified.tip == before.hash);
    CHECK(r2.verified.height == before.height + 1);
    CHECK(r2.verified.tip == block_hash(b.header));
}
