#include "replica.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "canonical.hpp"
#include "nats_client.hpp"

namespace setm::replica {

namespace {

// JetStream API error codes (nats-server's errors.json) that setm tells apart.
constexpr int kWrongLastSequence = 10071;
constexpr int kStreamNotFound = 10059;
constexpr int kNoMessage = 10037;
constexpr int kInsufficientResources = 10023;
constexpr int kReplicasNotSupported = 10074;
constexpr int kClusterNotAvailable = 10008; // "JetStream system temporarily unavailable"
constexpr const char* kHeightHeader = "Setm-Height";

// RAII over the C client's objects: each is destroyed by the loaded
// library's function for it.
template <class T, auto Destroy>
struct Deleter {
    const nats::Api* api = nullptr;
    void operator()(T* p) const { (api->*Destroy)(p); }
};
using ConnPtr =
    std::unique_ptr<natsConnection, Deleter<natsConnection, &nats::Api::natsConnection_Destroy>>;
using JsPtr = std::unique_ptr<jsCtx, Deleter<jsCtx, &nats::Api::jsCtx_Destroy>>;
using SubPtr = std::unique_ptr<natsSubscription,
                               Deleter<natsSubscription, &nats::Api::natsSubscription_Destroy>>;
using MsgPtr = std::unique_ptr<natsMsg, Deleter<natsMsg, &nats::Api::natsMsg_Destroy>>;
using OptsPtr = std::unique_ptr<natsOptions, Deleter<natsOptions, &nats::Api::natsOptions_Destroy>>;
using InfoPtr =
    std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo, &nats::Api::jsStreamInfo_Destroy>>;
using AckPtr = std::unique_ptr<jsPubAck, Deleter<jsPubAck, &nats::Api::jsPubAck_Destroy>>;
using MetaPtr =
    std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData, &nats::Api::jsMsgMetaData_Destroy>>;

using Clock = std::chrono::steady_clock;

bool transient(natsStatus s) {
    switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
    case NATS_MISSED_HEARTBEAT: return true;
    default: return false;
    }
}

std::string what_failed(const nats::Api& n, natsStatus s, jsErrCode jerr) {
    std::string text = n.natsStatus_GetText(s);
    natsStatus last_status = NATS_OK;
    const char* last = n.nats_GetLastError(&last_status);
    if (last != nullptr && *last != 0 && std::string(last) != text)
        text += " (" + std::string(last) + ")";
    if (jerr != 0 && s != NATS_NO_RESPONDERS) text += ", JetStream error " + std::to_string(jerr);
    return text;
}

Error unavailable(const Options& o, const std::string& what) {
    return make_error(
               Exit::busy, "network unavailable",
               what + " within " + std::to_string(o.timeout_ms / 1000) + " s (" + o.urls + ")")
        .with_hint("a majority of the JetStream servers must be up; try again when they are");
}

Error network_error(const nats::Api& n, const std::string& what, natsStatus s, jsErrCode jerr) {
    return make_error(Exit::io, "network error", what + ": " + what_failed(n, s, jerr));
}

// Runs one network step until it succeeds, fails for good, or the deadline
// passes; a transient failure (no quorum, a leader being elected, a server
// gone) is tried again after a short pause.
template <class Step>
Status with_retry(const nats::Api& n, const Options& o, const std::string& what, Step step) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = step(std::max<std::int64_t>(left.count(), 100), jerr);
        if (s == NATS_OK) return ok_status();
        if (!transient(s) && jerr != kClusterNotAvailable) return network_error(n, what, s, jerr);
        if (Clock::now() + std::chrono::milliseconds(250) >= deadline) return unavailable(o, what);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

jsOptions js_options(const nats::Api& n, std::int64_t wait_ms) {
    jsOptions jo;
    n.jsOptions_Init(&jo);
    jo.Wait = std::min<std::int64_t>(wait_ms, 2000);
    return jo;
}

std::vector<std::string> split_urls(const std::string& urls) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= urls.size()) {
        const std::size_t comma = std::min(urls.find(',', start), urls.size());
        if (comma > start) out.push_back(urls.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

} // namespace

// Destroyed in reverse order: the JetStream context, the connection, then
// the library they came from.
struct Link::Handles {
    std::unique_ptr<nats::Library> lib;
    ConnPtr nc;
    JsPtr js;
    explicit Handles(std::unique_ptr<nats::Library> l)
        : lib(std::move(l)), nc(nullptr, {&lib->api()}), js(nullptr, {&lib->api()}) {}
};

// ---- names and bytes ------------------------------------------------------------

std::string stream_name(const Hash32& chain) { return "SETM-" + hash_to_hex(chain); }

std::string subject(const Hash32& chain) { return "setm." + hash_to_hex(chain) + ".blocks"; }

Bytes block_bytes(const Block& b) {
    return encode_binary(StoredBlock{serialize_header(b.header), b.records});
}

Result<Block> parse_block_bytes(const std::uint8_t* p, std::size_t n) {
    auto sb = decode_binary<StoredBlock>(p, n);
    if (!sb) return make_error(Exit::verify_failed, "bad block bytes", sb.error().detail);
    auto h = parse_header(sb->header.data(), sb->header.size());
    if (!h) return make_error(Exit::verify_failed, "bad block bytes", h.error().detail);
    return Block{h.value(), std::move(sb->records)};
}

// ---- Link -----------------------------------------------------------------------

Link::Link(Link&&) noexcept = default;
Link& Link::operator=(Link&&) noexcept = default;
Link::~Link() = default;

Result<Link> Link::connect(const Options& o) {
    const std::vector<std::string> urls = split_urls(o.urls);
    if (urls.empty()) return make_error(Exit::usage, "bad --nats", "no server URL given");
    // The client library is loaded here, on the first use of --nats.
    SETM_TRY(std::unique_ptr<nats::Library> lib, nats::Library::open());
    Link link;
    link.o_ = o;
    link.h_ = std::make_unique<Handles>(std::move(lib));
    const nats::Api& n = link.h_->lib->api();
    natsOptions* raw = nullptr;
    if (n.natsOptions_Create(&raw) != NATS_OK) return make_error(Exit::internal, "out of memory");
    OptsPtr opts(raw, {&n});
    std::vector<const char*> list;
    for (const auto& u : urls) list.push_back(u.c_str());
    natsStatus s = n.natsOptions_SetServers(opts.get(), list.data(), static_cast<int>(list.size()));
    if (s != NATS_OK) return make_error(Exit::usage, "bad --nats", what_failed(n, s, {}));
    n.natsOptions_SetTimeout(opts.get(), std::min<std::int64_t>(o.timeout_ms, 5000));
    n.natsOptions_SetMaxReconnect(opts.get(), -1);
    n.natsOptions_SetReconnectWait(opts.get(), 200);
    Status st = with_retry(n, o, "no server answered", [&](std::int64_t, jsErrCode&) {
        natsConnection* nc = nullptr;
        natsStatus cs = n.natsConnection_Connect(&nc, opts.get());
        if (cs == NATS_OK) link.h_->nc.reset(nc);
        return cs;
    });
    SETM_CHECK(st);
    jsOptions jo = js_options(n, o.timeout_ms);
    jsCtx* js = nullptr;
    s = n.natsConnection_JetStream(&js, link.h_->nc.get(), &jo);
    if (s != NATS_OK) return network_error(n, "JetStream", s, {});
    link.h_->js.reset(js);
    return link;
}

std::int64_t Link::max_payload() const {
    return h_->lib->api().natsConnection_GetMaxPayload(h_->nc.get());
}

Result<int> Link::create_stream(const Hash32& chain) {
    const nats::Api& n = h_->lib->api();
    const std::string name = stream_name(chain), subj = subject(chain);
    const char* subjects[] = {subj.c_str()};
    jsStreamConfig cfg;
    n.jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Discard = js_DiscardNew;
    cfg.MaxMsgSize = static_cast<std::int32_t>(std::min<std::int64_t>(max_payload(), INT32_MAX));
    cfg.DenyDelete = true;
    cfg.DenyPurge = true;
    for (int replicas = 3;; --replicas) {
        cfg.Replicas = replicas;
        jsErrCode code = static_cast<jsErrCode>(0);
        Status st = with_retry(
            n, o_, "creating the stream " + name, [&](std::int64_t left, jsErrCode& jerr) {
                jsOptions jo = js_options(n, left);
                jsStreamInfo* info = nullptr;
                natsStatus s = n.js_AddStream(&info, h_->js.get(), &cfg, &jo, &jerr);
                InfoPtr keep(info, {&n});
                code = jerr;
                return s;
            });
        if (st) return replicas;
        const bool fewer = code == kInsufficientResources || code == kReplicasNotSupported;
        if (!fewer || replicas == 1) return st.error();
    }
}

Result<std::uint64_t> Link::last_sequence(const Hash32& chain) {
    const nats::Api& n = h_->lib->api();
    const std::string name = stream_name(chain);
    std::uint64_t last = 0;
    jsErrCode code = static_cast<jsErrCode>(0);
    Status st =
        with_retry(n, o_, "reading the stream " + name, [&](std::int64_t left, jsErrCode& jerr) {
            jsOptions jo = js_options(n, left);
            jsStreamInfo* info = nullptr;
            natsStatus s = n.js_GetStreamInfo(&info, h_->js.get(), name.c_str(), &jo, &jerr);
            InfoPtr keep(info, {&n});
            code = jerr;
            if (s == NATS_OK) last = info->State.LastSeq;
            return s;
        });
    if (!st && code == kStreamNotFound)
        return make_error(Exit::io, "no such chain",
                          "the network holds no chain " + hash_to_hex(chain))
            .with_hint("check the chain id; setm-auth init --nats publishes a new chain");
    SETM_CHECK(st);
    return last;
}

namespace {

Message message_of(const nats::Api& n, natsMsg* m, std::uint64_t sequence, std::uint64_t pending) {
    Message out;
    out.sequence = sequence;
    out.pending = pending;
    const auto* p = reinterpret_cast<const std::uint8_t*>(n.natsMsg_GetData(m));
    out.data.assign(p, p + n.natsMsg_GetDataLength(m));
    const char* height = nullptr;
    if (n.natsMsgHeader_Get(m, kHeightHeader, &height) == NATS_OK && height != nullptr)
        out.height = height;
    return out;
}

} // namespace

Result<Message> Link::get(const Hash32& chain, std::uint64_t sequence) {
    const nats::Api& n = h_->lib->api();
    const std::string name = stream_name(chain);
    MsgPtr got(nullptr, {&n});
    jsErrCode code = static_cast<jsErrCode>(0);
    Status st = with_retry(n, o_, "reading block " + std::to_string(sequence - 1) + " from " + name,
                           [&](std::int64_t left, jsErrCode& jerr) {
                               jsOptions jo = js_options(n, left);
                               natsMsg* m = nullptr;
                               natsStatus s = n.js_GetMsg(&m, h_->js.get(), name.c_str(), sequence,
                                                          &jo, &jerr);
                               got.reset(m);
                               code = jerr;
                               return s;
                           });
    if (!st && code == kStreamNotFound)
        return make_error(Exit::io, "no such chain",
                          "the network holds no chain " + hash_to_hex(chain))
            .with_hint("check --chain-id; setm-auth init --nats publishes a new chain");
    if (!st && code == kNoMessage)
        return make_error(Exit::io, "no such block",
                          "the network holds no block " + std::to_string(sequence - 1));
    SETM_CHECK(st);
    return message_of(n, got.get(), sequence, 0);
}

Status Link::publish(const Hash32& chain, const Block& b, std::uint64_t height) {
    const nats::Api& n = h_->lib->api();
    const Bytes data = block_bytes(b);
    const std::string subj = subject(chain), id = hash_to_hex(block_hash(b.header));
    const std::string h = std::to_string(height);
    jsErrCode code = static_cast<jsErrCode>(0);
    std::uint64_t stored_at = 0;
    Status st = with_retry(n, o_, "publishing block " + h, [&](std::int64_t left, jsErrCode& jerr) {
        natsMsg* raw = nullptr;
        natsStatus s = n.natsMsg_Create(&raw, subj.c_str(), nullptr,
                                        reinterpret_cast<const char*>(data.data()),
                                        static_cast<int>(data.size()));
        if (s != NATS_OK) return s;
        MsgPtr m(raw, {&n});
        n.natsMsgHeader_Set(m.get(), kHeightHeader, h.c_str());
        // ExpectLastSeq 0 means "no expectation": the genesis says so itself.
        if (height == 0) n.natsMsgHeader_Set(m.get(), "Nats-Expected-Last-Sequence", "0");
        jsPubOptions po;
        n.jsPubOptions_Init(&po);
        po.MsgId = id.c_str();
        po.ExpectLastSeq = height;
        po.MaxWait = std::min<std::int64_t>(left, 2000);
        jsPubAck* ack = nullptr;
        s = n.js_PublishMsg(&ack, h_->js.get(), m.get(), &po, &jerr);
        AckPtr keep(ack, {&n});
        code = jerr;
        if (s == NATS_OK) stored_at = ack->Sequence;
        return s;
    });
    if (!st && code == kWrongLastSequence)
        return make_error(Exit::busy, "tip moved", "another node published block " + h + " first")
            .of_kind(ErrorKind::tip_moved);
    SETM_CHECK(st);
    if (stored_at != height + 1)
        return make_error(Exit::verify_failed, "diverged",
                          "the network holds block " + h + " at sequence " +
                              std::to_string(stored_at) + ", not " + std::to_string(height + 1));
    return ok_status();
}

namespace {

// One message from an ordered consumer, or none within `wait_ms`.
Result<std::optional<Message>> next_message(const nats::Api& n, natsSubscription* sub,
                                            std::int64_t wait_ms) {
    natsMsg* raw = nullptr;
    natsStatus s = n.natsSubscription_NextMsg(&raw, sub, wait_ms);
    MsgPtr m(raw, {&n});
    if (s == NATS_TIMEOUT || s == NATS_MISSED_HEARTBEAT) return std::optional<Message>{};
    if (s != NATS_OK) return network_error(n, "reading the stream", s, {});
    jsMsgMetaData* meta = nullptr;
    s = n.natsMsg_GetMetaData(&meta, m.get());
    if (s != NATS_OK) return network_error(n, "reading a message's sequence", s, {});
    MetaPtr keep(meta, {&n});
    return std::optional<Message>(message_of(n, m.get(), meta->Sequence.Stream, meta->NumPending));
}

// Messages read ahead of validation: at most kInboxBytes wait here.
class Inbox {
public:
    static constexpr std::size_t kInboxBytes = 64 << 20;
    static constexpr std::int64_t kSliceMs = 10;

    // The reader: until stop(), or the first error (which pop() returns).
    // It waits for the server in short slices, so that a stop (the sync
    // has reached its goal) ends it at once rather than after a long wait.
    void drain(const nats::Api& n, natsSubscription* sub) {
        while (!stopping()) {
            auto m = next_message(n, sub, kSliceMs);
            std::unique_lock<std::mutex> lock(mu_);
            if (!m) {
                error_ = m.error();
                ready_.notify_all();
                return;
            }
            if (!m.value()) continue;
            room_.wait(lock, [&] { return stop_ || bytes_ < kInboxBytes; });
            bytes_ += m.value()->data.size();
            queue_.push_back(std::move(*m.value()));
            ready_.notify_all();
        }
    }

    // The next message, nullopt after `wait_ms` without one, or the reader's error.
    Result<std::optional<Message>> pop(std::int64_t wait_ms) {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                        [&] { return !queue_.empty() || error_; });
        if (queue_.empty()) {
            if (error_) return *error_;
            return std::optional<Message>{};
        }
        Message m = std::move(queue_.front());
        queue_.pop_front();
        bytes_ -= m.data.size();
        room_.notify_all();
        return std::optional<Message>(std::move(m));
    }

    void stop() {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
        room_.notify_all();
    }

private:
    bool stopping() {
        std::lock_guard<std::mutex> lock(mu_);
        return stop_;
    }
    std::mutex mu_;
    std::condition_variable ready_, room_;
    std::deque<Message> queue_;
    std::size_t bytes_ = 0;
    std::optional<Error> error_;
    bool stop_ = false;
};

} // namespace

Status Link::read(const Hash32& chain, std::uint64_t first, const OnMessage& fn,
                  const OnIdle& idle) {
    const nats::Api& n = h_->lib->api();
    const std::string name = stream_name(chain), subj = subject(chain);
    SubPtr sub(nullptr, {&n});
    Status st =
        with_retry(n, o_, "subscribing to " + name, [&](std::int64_t left, jsErrCode& jerr) {
            jsOptions jo = js_options(n, left);
            jsSubOptions so;
            n.jsSubOptions_Init(&so);
            so.Stream = name.c_str();
            so.Ordered = true;
            so.Config.DeliverPolicy = js_DeliverByStartSequence;
            so.Config.OptStartSeq = first;
            natsSubscription* raw = nullptr;
            natsStatus s = n.js_SubscribeSync(&raw, h_->js.get(), subj.c_str(), &jo, &so, &jerr);
            sub.reset(raw);
            return s;
        });
    SETM_CHECK(st);
    n.natsSubscription_SetPendingLimits(sub.get(), -1, 256 * 1024 * 1024);
    // A reader drains the subscription as fast as it delivers, so that the
    // server's flow control never waits for validation; blocks queue here.
    Inbox inbox;
    std::thread reader([&] { inbox.drain(n, sub.get()); });
    Status out = ok_status();
    for (;;) {
        auto m = inbox.pop(200);
        if (!m) {
            out = m.error();
            break;
        }
        auto more = m->has_value() ? fn(**m) : idle();
        if (!more || !more.value()) {
            if (!more) out = more.error();
            break;
        }
    }
    inbox.stop();
    reader.join();
    return out;
}

// ---- sync -----------------------------------------------------------------------

namespace {

// Blocks appended in one write transaction (one disk sync) at most. The
// first batch is smaller, so that validation starts while the rest arrive;
// each next one twice the size, up to kBatch.
constexpr std::size_t kBatch = 2048;
constexpr std::size_t kFirstBatch = 256;

// The blocks read but not yet appended, and what the sync has done so far.
struct Syncer {
    Store& store;
    const SyncOptions& o;
    SyncReport report;
    std::vector<Block> batch;
    std::uint64_t batch_first = 0;
    std::uint64_t next = 0; // the height the next message must hold
    std::size_t limit = kFirstBatch;

    Status flush() {
        if (batch.empty()) return ok_status();
        limit = std::min(2 * limit, kBatch);
        SETM_TRY(Store::Run run, store.append_run(batch, batch_first, o.now, o.threads));
        report.appended += run.appended;
        const std::uint64_t good = batch_first + batch.size() - 1;
        batch.clear();
        if (run.refused) return *run.refused;
        report.height = good;
        report.tip = block_hash(store_header(good));
        if (run.appended > 0 && o.committed) SETM_CHECK(o.committed(report));
        return ok_status();
    }

    BlockHeader store_header(std::uint64_t h) {
        auto snap = store.snapshot();
        if (!snap) return {};
        auto hd = snap.value()->state().header(h);
        return hd ? hd.value() : BlockHeader{};
    }

    // A message at the expected sequence: decoded, batched, appended when
    // the batch is full or nothing more is waiting.
    Status take(const Message& m) {
        const std::uint64_t height = m.sequence - 1;
        auto refuse = [&](Error e) {
            e.detail = "block " + std::to_string(height) + " (stream sequence " +
                       std::to_string(m.sequence) + "): " + e.detail;
            return e;
        };
        if (m.sequence <= next) return ok_status(); // a consumer reset delivers again
        if (m.sequence != next + 1)
            return refuse(make_error(Exit::verify_failed, "gap",
                                     "expected sequence " + std::to_string(next + 1)));
        if (m.height != std::to_string(height)) {
            SETM_CHECK(flush());
            return refuse(make_error(
                Exit::verify_failed, "bad block",
                "its " + std::string(kHeightHeader) + " header says \"" + m.height + "\""));
        }
        auto b = parse_block_bytes(m.data.data(), m.data.size());
        if (!b) {
            SETM_CHECK(flush());
            return refuse(b.error());
        }
        if (batch.empty()) batch_first = height;
        batch.push_back(std::move(b.value()));
        ++next;
        if (batch.size() >= limit || m.pending == 0) SETM_CHECK(flush());
        return ok_status();
    }
};

} // namespace

Result<SyncReport> sync(Link& link, Store& store, const SyncOptions& opts) {
    Syncer s{store, opts, {}, {}, 0, 0, kFirstBatch};
    {
        SETM_TRY(auto snap, store.snapshot());
        SETM_TRY(Tip tip, snap->state().tip());
        s.report.from = s.report.height = tip.height;
        s.report.tip = tip.hash;
    }
    SETM_TRY(std::uint64_t last, link.last_sequence(store.chain_id()));
    if (last < s.report.from + 1)
        return make_error(Exit::verify_failed, "diverged",
                          "the store holds block " + std::to_string(s.report.from) +
                              ", the network only " +
                              (last == 0 ? std::string("nothing") : std::to_string(last - 1)))
            .with_hint("a store on a network takes blocks only through --nats");
    // From the store's own tip: the network must hold the same block there.
    s.next = s.report.from;
    const std::uint64_t goal = std::max<std::uint64_t>(last, s.report.from + 1);
    auto waited = std::make_shared<std::int64_t>(0);
    Status st = link.read(
        store.chain_id(), s.report.from + 1,
        [&](const Message& m) -> Result<bool> {
            *waited = 0;
            SETM_CHECK(s.take(m));
            return opts.follow ? !(opts.stop && opts.stop()) : s.next < goal;
        },
        [&]() -> Result<bool> {
            SETM_CHECK(s.flush());
            if (opts.follow) return !(opts.stop && opts.stop());
            *waited += 200;
            if (s.next >= goal) return false;
            if (*waited >= link.options().timeout_ms)
                return unavailable(link.options(),
                                   "block " + std::to_string(s.next) + " did not arrive");
            return true;
        });
    if (st) st = s.flush();
    if (!st) return st.error();
    return s.report;
}

Result<Store> join(Link& link, const std::string& dir, const Hash32& chain) {
    SETM_TRY(Message m, link.get(chain, 1));
    auto b = parse_block_bytes(m.data.data(), m.data.size());
    if (!b) {
        Error e = b.error();
        e.detail = "block 0: " + e.detail;
        return e;
    }
    auto id = check_genesis_block(b.value());
    if (!id) {
        Error e = id.error();
        e.detail = "block 0: " + e.detail;
        return e;
    }
    if (id.value() != chain)
        return make_error(Exit::verify_failed, "bad genesis",
                          "block 0: its hash is " + hash_to_hex(id.value()) + ", not the chain id");
    return Store::create(dir, b.value(), true);
}

Result<int> publish_genesis(Link& link, const Block& genesis) {
    const Hash32 chain = block_hash(genesis.header);
    SETM_TRY(int replicas, link.create_stream(chain));
    SETM_CHECK(link.publish(chain, genesis, 0));
    return replicas;
}

Status check_fits(std::int64_t max_payload, const std::vector<Record>& records,
                  const std::vector<std::size_t>& ends) {
    // The message's headers and protocol line travel with it.
    const std::int64_t room = max_payload - 1024;
    std::size_t start = 0;
    for (std::size_t end : ends.empty() ? std::vector<std::size_t>{records.size()} : ends) {
        Block b{BlockHeader{}, std::vector<Record>(records.begin() + start, records.begin() + end)};
        const std::size_t size = block_bytes(b).size();
        if (static_cast<std::int64_t>(size) > room)
            return make_error(Exit::bad_input, "block too large for the network",
                              std::to_string(size) + " bytes; the servers carry " +
                                  std::to_string(max_payload))
                .with_hint("mine fewer records per block, or raise max_payload on every server");
        start = end;
    }
    return ok_status();
}

Status check_fits(const Link& link, const std::vector<Record>& records,
                  const std::vector<std::size_t>& ends) {
    return check_fits(link.max_payload(), records, ends);
}

void replicate(AppendOptions& ao, Link& link, Store& store, std::int64_t now) {
    const unsigned threads = ao.threads;
    ao.commit = [&link, &store, now, threads](const Block& b, std::uint64_t height) -> Status {
        SETM_CHECK(link.publish(store.chain_id(), b, height));
        // The stream holds it now: append it here (or find it appended by a
        // concurrent sync of this store).
        SETM_TRY(Store::Run run, store.append_run({b}, height, now, threads));
        if (run.refused) return *run.refused;
        return ok_status();
    };
    ao.catch_up = [&link, &store, now, threads]() -> Status {
        SyncOptions so;
        so.now = now;
        so.threads = threads;
        SETM_TRY(SyncReport r, sync(link, store, so));
        (void)r;
        return ok_status();
    };
}

Result<SyncReport> catch_up(const Options& o, const std::string& dir, std::int64_t now,
                            unsigned threads) {
    SETM_TRY(Store store, Store::open(dir, false));
    SETM_TRY(Link link, Link::connect(o));
    SyncOptions so;
    so.now = now;
    so.threads = threads;
    return sync(link, store, so);
}

} // namespace setm::replica
