#include <catch2/catch.hpp>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "lmdb.hpp"

using namespace setm;
using namespace setm::lmdb;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/setm-test-lmdb-XXXXXX";
        if (!mkdtemp(tmpl)) FAIL("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

Env::Options rw(std::size_t map_size = std::size_t(1) << 30) {
    Env::Options o;
    o.create = true;
    o.map_size = map_size;
    return o;
}

Env::Options ro() {
    Env::Options o;
    o.read_only = true;
    return o;
}

Env open_ok(const std::string& dir, const Env::Options& o) {
    auto env = Env::open(dir, o);
    if (!env) FAIL(env.error().message());
    return std::move(env).value();
}

Status put_str(Env& env, const char* db, const std::string& k, const std::string& v) {
    return write_txn(env, [&](Txn& txn) -> Status {
        SETM_TRY(Dbi d, Dbi::open(txn, db, true));
        return put(txn, d, as_val(k), as_val(v));
    });
}

// nullopt when absent; "<error: ...>" on error.
std::optional<std::string> get_str(Env& env, const char* db, const std::string& k) {
    auto txn = Txn::begin(env, false);
    if (!txn) return "<error: " + txn.error().message() + ">";
    auto d = Dbi::open(*txn, db, false);
    if (!d) return "<error: " + d.error().message() + ">";
    auto v = get(*txn, *d, as_val(k));
    if (!v) return "<error: " + v.error().message() + ">";
    if (!v->has_value()) return std::nullopt;
    return std::string((*v)->begin(), (*v)->end());
}

std::size_t map_size(Env& env) {
    MDB_envinfo info;
    REQUIRE(mdb_env_info(env.get(), &info) == 0);
    return info.me_mapsize;
}

std::string key_of(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%06d", i);
    return buf;
}

// Child-process helpers: no Catch macros after fork().
void write_byte(int fd, char c) {
    if (write(fd, &c, 1) != 1) _exit(3);
}

char read_byte(int fd) {
    char c = 0;
    return read(fd, &c, 1) == 1 ? c : 0;
}

int wait_child(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("lmdb: create, put, get, reopen read-only") {
    TempDir t;
    {
        Env env = open_ok(t.path, rw());
        REQUIRE(put_str(env, "blocks", "alpha", "one").ok());
        CHECK(get_str(env, "blocks", "alpha") == "one");
    }
    CHECK(fs::exists(t.path + "/data.mdb"));
    Env env = open_ok(t.path, ro());
    CHECK(env.read_only());
    CHECK(get_str(env, "blocks", "alpha") == "one");
    CHECK(get_str(env, "blocks", "beta") == std::nullopt);
}

TEST_CASE("lmdb: create makes the directory, its parent must exist") {
    TempDir t;
    std::string dir = t.path + "/store";
    { Env env = open_ok(dir, rw()); }
    CHECK(fs::is_directory(dir));
    CHECK(fs::exists(dir + "/data.mdb"));

    auto r = Env::open(t.path + "/no/such/store", rw());
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::io);
    CHECK(!fs::exists(t.path + "/no"));
}

TEST_CASE("lmdb: missing store without create is 'no store' and creates nothing") {
    TempDir t;
    std::string dir = t.path + "/missing";
    for (bool read_only : {false, true}) {
        Env::Options o;
        o.read_only = read_only;
        auto r = Env::open(dir, o);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Exit::io);
        CHECK(r.error().reason == "no store");
        CHECK(r.error().detail == dir + ": no data.mdb (create one with 'setm-auth init')");
        CHECK(!fs::exists(dir));
    }

    // An existing but empty directory: still no store, and left empty.
    auto r = Env::open(t.path, ro());
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "no store");
    CHECK(fs::is_empty(t.path));

    // create with read_only cannot create either.
    Env::Options o = ro();
    o.create = true;
    r = Env::open(dir, o);
    REQUIRE(!r.ok());
    CHECK(r.error().reason == "no store");
    CHECK(!fs::exists(dir));
}

TEST_CASE("lmdb: a garbage data.mdb is 'store unreadable'") {
    TempDir t;
    std::vector<char> junk(8192, 0);
    SECTION("zero bytes") {}
    SECTION("random bytes") {
        std::mt19937 rng(42);
        for (char& c : junk) c = static_cast<char>(rng());
    }
    {
        std::ofstream f(t.path + "/data.mdb", std::ios::binary);
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    for (const Env::Options& o : {ro(), Env::Options{}, rw()}) {
        auto r = Env::open(t.path, o);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Exit::io);
        CHECK(r.error().reason == "store unreadable");
        CHECK(r.error().detail.find(t.path) != std::string::npos);
    }
    CHECK(fs::file_size(t.path + "/data.mdb") == junk.size());
}

TEST_CASE("lmdb: a data.mdb that is not a file is an error, not a crash") {
    TempDir t;
    fs::create_directory(t.path + "/data.mdb");
    auto r = Env::open(t.path, ro());
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::io);
    CHECK(r.error().reason == "store unreadable");
}

TEST_CASE("lmdb: an empty data.mdb is 'no store' unless creating") {
    TempDir t;
    std::ofstream(t.path + "/data.mdb").close();
    for (const Env::Options& o : {ro(), Env::Options{}}) {
        auto r = Env::open(t.path, o);
        REQUIRE(!r.ok());
        CHECK(r.error().reason == "no store");
        CHECK(fs::file_size(t.path + "/data.mdb") == 0);
    }
    Env env = open_ok(t.path, rw());
    REQUIRE(put_str(env, "d", "k", "v").ok());
    CHECK(get_str(env, "d", "k") == "v");
}

TEST_CASE("lmdb: write_txn grows a tiny map and retries") {
    TempDir t;
    Env env = open_ok(t.path, rw(64 * 1024));
    std::string big(4096, 'x');
    int calls = 0;
    Status st = write_txn(env, [&](Txn& txn) -> Status {
        ++calls;
        SETM_TRY(Dbi d, Dbi::open(txn, "blobs", true));
        for (int i = 0; i < 1000; ++i) {
            big[0] = static_cast<char>('a' + i % 26);
            SETM_CHECK(put(txn, d, as_val(key_of(i)), as_val(big)));
        }
        return ok_status();
    });
    REQUIRE(st.ok());
    CHECK(calls > 1);
    CHECK(map_size(env) > 64 * 1024);

    auto txn = Txn::begin(env, false);
    REQUIRE(txn.ok());
    auto d = Dbi::open(*txn, "blobs", false);
    REQUIRE(d.ok());
    for (int i = 0; i < 1000; ++i) {
        auto v = get(*txn, *d, as_val(key_of(i)));
        REQUIRE(v.ok());
        REQUIRE(v->has_value());
        REQUIRE((*v)->size() == 4096);
        CHECK((**v)[0] == 'a' + i % 26);
    }
}

TEST_CASE("lmdb: grow doubles the map") {
    TempDir t;
    Env env = open_ok(t.path, rw(1 << 20));
    std::size_t before = map_size(env);
    REQUIRE(env.grow().ok());
    CHECK(map_size(env) == 2 * before);
}

TEST_CASE("lmdb: a failing fn leaves nothing written") {
    TempDir t;
    Env env = open_ok(t.path, rw());
    REQUIRE(put_str(env, "d", "kept", "1").ok());
    Status st = write_txn(env, [&](Txn& txn) -> Status {
        SETM_TRY(Dbi d, Dbi::open(txn, "d", true));
        SETM_CHECK(put(txn, d, as_val(std::string_view("lost")), as_val(std::string_view("2"))));
        SETM_CHECK(del(txn, d, as_val(std::string_view("kept"))));
        return make_error(Exit::bad_input, "bad record", "rejected by fn");
    });
    REQUIRE(!st.ok());
    CHECK(st.error().code == Exit::bad_input);
    CHECK(st.error().reason == "bad record");
    CHECK(get_str(env, "d", "lost") == std::nullopt);
    CHECK(get_str(env, "d", "kept") == "1");
}

TEST_CASE("lmdb: writes on a read-only env fail cleanly") {
    TempDir t;
    {
        Env env = open_ok(t.path, rw());
        REQUIRE(put_str(env, "d", "k", "v").ok());
    }
    Env env = open_ok(t.path, ro());
    auto txn = Txn::begin(env, true);
    REQUIRE(!txn.ok());
    CHECK(txn.error().code == Exit::io);
    CHECK(txn.error().reason == "store is read-only");

    bool ran = false;
    Status st = write_txn(env, [&](Txn&) -> Status {
        ran = true;
        return ok_status();
    });
    REQUIRE(!st.ok());
    CHECK(st.error().reason == "store is read-only");
    CHECK(!ran);
    CHECK(get_str(env, "d", "k") == "v");
}

TEST_CASE("lmdb: missing database is 'not a setm store'") {
    TempDir t;
    Env env = open_ok(t.path, rw());
    auto txn = Txn::begin(env, false);
    REQUIRE(txn.ok());
    auto d = Dbi::open(*txn, "blocks", false);
    REQUIRE(!d.ok());
    CHECK(d.error().code == Exit::io);
    CHECK(d.error().reason == "not a setm store");
    CHECK(d.error().detail == "missing database blocks");
}

TEST_CASE("lmdb: put with NOOVERWRITE, del, commit twice") {
    TempDir t;
    Env env = open_ok(t.path, rw());
    auto txn = Txn::begin(env, true);
    REQUIRE(txn.ok());
    auto d = Dbi::open(*txn, "d", true);
    REQUIRE(d.ok());
    auto k = as_val(std::string_view("k"));
    REQUIRE(put(*txn, *d, k, as_val(std::string_view("1"))).ok());
    Status st = put(*txn, *d, k, as_val(std::string_view("2")), MDB_NOOVERWRITE);
    REQUIRE(!st.ok());
    CHECK(st.error().reason == "key exists");
    CHECK(del(*txn, *d, k).ok());
    CHECK(del(*txn, *d, k).ok()); // absent already: not an error
    CHECK(get(*txn, *d, k)->has_value() == false);
    REQUIRE(txn->commit().ok());
    CHECK(txn->get() == nullptr);
    CHECK(!txn->commit().ok());
}

TEST_CASE("lmdb: cursor walks keys in order") {
    TempDir t;
    Env env = open_ok(t.path, rw());
    std::vector<std::string> keys{"delta", "alpha", "charlie", "echo", "bravo"};
    REQUIRE(write_txn(env, [&](Txn& txn) -> Status {
                SETM_TRY(Dbi d, Dbi::open(txn, "d", true));
                for (const auto& k : keys) SETM_CHECK(put(txn, d, as_val(k), as_val("v-" + k)));
                return ok_status();
            }).ok());

    auto txn = Txn::begin(env, false);
    REQUIRE(txn.ok());
    auto d = Dbi::open(*txn, "d", false);
    REQUIRE(d.ok());
    auto c = Cursor::open(*txn, *d);
    REQUIRE(c.ok());

    std::vector<std::string> seen;
    for (auto r = c->first();; r = c->next()) {
        REQUIRE(r.ok());
        if (!*r) break;
        CHECK(c->value() == "v-" + std::string(c->key()));
        seen.emplace_back(c->key());
    }
    CHECK(seen == std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo"});
    CHECK(c->key().empty());

    auto r = c->seek(as_val(std::string_view("c")));
    REQUIRE(r.ok());
    CHECK(*r);
    CHECK(c->key() == "charlie");
    r = c->seek(as_val(std::string_view("delta")));
    REQUIRE(r.ok());
    CHECK(c->key() == "delta");
    r = c->seek(as_val(std::string_view("zulu")));
    REQUIRE(r.ok());
    CHECK(!*r);
    r = c->last();
    REQUIRE(r.ok());
    CHECK(c->key() == "echo");
    r = c->next();
    REQUIRE(r.ok());
    CHECK(!*r);

    Cursor moved(std::move(*c));
    r = moved.first();
    REQUIRE(r.ok());
    CHECK(moved.key() == "alpha");
}

TEST_CASE("lmdb: error_from maps LMDB codes") {
    auto e = error_from(MDB_MAP_FULL, "mdb_put");
    CHECK(e.code == Exit::io);
    CHECK(e.reason == "store full");
    CHECK(e.detail == std::string("mdb_put: ") + mdb_strerror(MDB_MAP_FULL));
    for (int rc : {MDB_READERS_FULL, EAGAIN, EBUSY}) {
        CHECK(error_from(rc, "x").code == Exit::busy);
        CHECK(error_from(rc, "x").reason == "store busy");
    }
    for (int rc : {MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH, MDB_BAD_TXN,
                   MDB_BAD_VALSIZE, MDB_PANIC}) {
        CHECK(error_from(rc, "x").code == Exit::io);
        CHECK(error_from(rc, "x").reason == "store unreadable");
    }
    for (int rc : {ENOSPC, EDQUOT}) {
        CHECK(error_from(rc, "x").code == Exit::io);
        CHECK(error_from(rc, "x").reason == "disk full");
        CHECK(error_from(rc, "x").detail == std::string("x: ") + std::strerror(rc));
    }
    CHECK(error_from(EIO, "x").reason == "storage error");
    CHECK(error_from(MDB_TXN_FULL, "x").reason == "storage error");
}

TEST_CASE("lmdb: txn begin adopts a map grown by another process") {
    TempDir t;
    int go[2];
    REQUIRE(pipe(go) == 0);
    pid_t pid = fork();
    REQUIRE(pid != -1);
    if (pid == 0) {
        close(go[1]);
        if (read_byte(go[0]) != 'g') _exit(2);
        auto env = Env::open(t.path, rw(64 * 1024));
        if (!env) _exit(4);
        std::string big(4096, 'y');
        Status st = write_txn(*env, [&](Txn& txn) -> Status {
            SETM_TRY(Dbi d, Dbi::open(txn, "d", true));
            for (int i = 0; i < 100; ++i) SETM_CHECK(put(txn, d, as_val(key_of(i)), as_val(big)));
            return ok_status();
        });
        _exit(st.ok() ? 0 : 5);
    }
    close(go[0]);
    Env env = open_ok(t.path, rw(64 * 1024));
    REQUIRE(put_str(env, "d", "parent", "p").ok());
    write_byte(go[1], 'g');
    close(go[1]);
    REQUIRE(wait_child(pid) == 0);

    // The child's pages lie beyond our 64 KiB map: begin sees MDB_MAP_RESIZED.
    REQUIRE(put_str(env, "d", "after", "a").ok());
    CHECK(map_size(env) > 64 * 1024);
    CHECK(get_str(env, "d", "parent") == "p");
    CHECK(get_str(env, "d", key_of(99)) == std::string(4096, 'y'));
}

namespace {

int count_reader_lines(MDB_env* env, pid_t pid) {
    struct Ctx {
        std::string want;
        int n = 0;
    } ctx{std::to_string(pid) + " ", 0};
    auto cb = [](const char* msg, void* p) -> int {
        auto* c = static_cast<Ctx*>(p);
        std::string line(msg);
        line.erase(0, line.find_first_not_of(' '));
        if (line.rfind(c->want, 0) == 0) ++c->n;
        return 0;
    };
    if (mdb_reader_list(env, cb, &ctx) < 0) return -1;
    return ctx.n;
}

} // namespace

TEST_CASE("lmdb: open clears the slot of a reader killed mid-txn") {
    TempDir t;
    {
        Env env = open_ok(t.path, rw());
        REQUIRE(put_str(env, "d", "k", "v").ok());
    }

    // The holder keeps the env open so the lock table is not reset when the
    // next process opens it; only mdb_reader_check can clear the stale slot.
    int up[2], hold[2];
    REQUIRE(pipe(up) == 0);
    REQUIRE(pipe(hold) == 0);
    pid_t holder = fork();
    REQUIRE(holder != -1);
    if (holder == 0) {
        close(up[0]);
        close(hold[1]);
        auto env = Env::open(t.path, ro());
        if (!env) _exit(4);
        write_byte(up[1], 'h');
        read_byte(hold[0]); // until the parent closes its end
        _exit(0);
    }
    close(hold[0]);
    REQUIRE(read_byte(up[0]) == 'h');

    pid_t reader = fork();
    REQUIRE(reader != -1);
    if (reader == 0) {
        auto env = Env::open(t.path, ro());
        if (!env) _exit(4);
        auto txn = Txn::begin(*env, false);
        if (!txn) _exit(5);
        write_byte(up[1], 'r');
        _exit(0); // dies inside the read txn: its slot stays taken
    }
    close(up[1]);
    REQUIRE(read_byte(up[0]) == 'r');
    REQUIRE(wait_child(reader) == 0);
    close(up[0]);

    {
        Env env = open_ok(t.path, rw());
        CHECK(count_reader_lines(env.get(), reader) == 0);
        int dead = -1;
        CHECK(mdb_reader_check(env.get(), &dead) == 0);
        CHECK(dead == 0);
        REQUIRE(put_str(env, "d", "k2", "v2").ok());
        CHECK(get_str(env, "d", "k2") == "v2");
    }
    close(hold[1]);
    CHECK(wait_child(holder) == 0);
}

TEST_CASE("lmdb: the stale-slot check sees a stale slot without Env::open") {
    // Guards the test above: with a holder alive and no mdb_reader_check,
    // the dead reader's slot is still listed.
    TempDir t;
    {
        Env env = open_ok(t.path, rw());
        REQUIRE(put_str(env, "d", "k", "v").ok());
    }
    int up[2];
    REQUIRE(pipe(up) == 0);
    pid_t reader = fork();
    REQUIRE(reader != -1);
    if (reader == 0) {
        close(up[0]);
        auto env = Env::open(t.path, ro());
        if (!env) _exit(4);
        auto txn = Txn::begin(*env, false);
        if (!txn) _exit(5);
        write_byte(up[1], 'r');
        pause(); // killed by the parent
        _exit(0);
    }
    close(up[1]);
    REQUIRE(read_byte(up[0]) == 'r');
    close(up[0]);
    Env env = open_ok(t.path, ro());
    CHECK(count_reader_lines(env.get(), reader) == 1);
    kill(reader, SIGKILL);
    CHECK(wait_child(reader) == -1);
    CHECK(count_reader_lines(env.get(), reader) == 1);
    int dead = -1;
    CHECK(mdb_reader_check(env.get(), &dead) == 0);
    CHECK(dead == 1);
    CHECK(count_reader_lines(env.get(), reader) == 0);
}

namespace {

// Resident kB of this process's mappings of FILE (from /proc/self/smaps).
long resident_kb_of(const std::string& file) {
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool in = false;
    long kb = 0;
    while (std::getline(smaps, line)) {
        if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
            line.find('-') < line.find(' '))
            in = line.size() >= file.size() &&
                 line.compare(line.size() - file.size(), file.size(), file) == 0;
        else if (in && line.rfind("Rss:", 0) == 0)
            kb += std::strtol(line.c_str() + 4, nullptr, 10);
    }
    return kb;
}

} // namespace

TEST_CASE("lmdb: release_pages unmaps what was read, and the data reads the same after") {
    TempDir t;
    Env env = open_ok(t.path, rw());
    const std::string big(3000, 'x');
    REQUIRE(write_txn(env, [&](Txn& txn) -> Status {
        SETM_TRY(Dbi d, Dbi::open(txn, "t", true));
        for (int i = 0; i < 2000; ++i) SETM_CHECK(put(txn, d, as_val(key_of(i)), as_val(big)));
        return ok_status();
    }));
    for (int i = 0; i < 2000; i += 7) CHECK(get_str(env, "t", key_of(i)) == big); // maps pages
    const std::string file = fs::canonical(t.path).string() + "/data.mdb";
    const long before = resident_kb_of(file);
    CHECK(before > 1000); // 6 MB written, a page in two read at least
    env.release_pages();
    CHECK(resident_kb_of(file) < before / 4);
    for (int i = 0; i < 2000; i += 7) CHECK(get_str(env, "t", key_of(i)) == big);
}
