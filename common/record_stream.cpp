#include "record_stream.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include "parallel.hpp"

namespace setm {

Status each_object(std::istream& in,
                   const std::function<Status(const rapidjson::Value& obj, std::size_t line)>& fn) {
    RecordReader reader(in);
    for (;;) {
        SETM_TRY(auto raw, reader.next());
        if (!raw) return ok_status();
        auto doc = parse_json_object(raw->text);
        if (!doc) return std::move(doc.error().at_line(raw->line));
        Status s = fn(doc.value(), raw->line);
        if (!s) {
            Error e = s.error();
            if (!e.line) e.at_line(raw->line);
            return e;
        }
    }
}

namespace {

Result<Record> decode_record(const RawRecord& raw) {
    auto doc = parse_json_object(raw.text);
    if (!doc) return std::move(doc.error().at_line(raw.line));
    auto r = record_from_json(doc.value());
    if (!r) {
        Error e = r.error();
        if (!e.line) e.at_line(raw.line);
        return e;
    }
    return r;
}

} // namespace

Status each_record_batch(std::istream& in, unsigned threads,
                         const std::function<Status(std::vector<LineRecord>&&)>& fn,
                         std::size_t batch_lines) {
    const std::size_t per_batch = std::max<std::size_t>(batch_lines, 1);
    RecordReader reader(in);
    std::vector<RawRecord> raw;
    std::vector<std::optional<Result<Record>>> decoded;
    for (bool more = true; more;) {
        raw.clear();
        // A line that cannot be read or decoded comes after every record
        // before it, whichever batch it falls in: fn sees those first.
        std::optional<Error> bad_line;
        while (raw.size() < per_batch) {
            auto next = reader.next();
            if (!next) bad_line = next.error();
            if (!next || !next.value()) {
                more = false;
                break;
            }
            raw.push_back(std::move(*next.value()));
        }
        decoded.assign(raw.size(), std::nullopt);
        parallel_for(raw.size(), threads,
                     [&](std::size_t i) { decoded[i] = decode_record(raw[i]); });
        std::vector<LineRecord> batch;
        batch.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (!*decoded[i]) {
                bad_line = decoded[i]->error();
                break;
            }
            batch.push_back(LineRecord{std::move(decoded[i]->value()), raw[i].line});
        }
        decoded.clear();
        if (!batch.empty()) SETM_CHECK(fn(std::move(batch)));
        if (bad_line) return *bad_line;
    }
    return ok_status();
}

namespace {

// Every batch of the stream, then moved into one vector of exactly their
// size, a batch at a time: never twice the records in memory.
template <class Out, class Move>
Result<Out> gather(std::istream& in, unsigned threads, Out out, Move move) {
    std::vector<std::vector<LineRecord>> batches;
    std::size_t n = 0;
    SETM_CHECK(each_record_batch(in, threads, [&](std::vector<LineRecord>&& b) {
        n += b.size();
        batches.push_back(std::move(b));
        return ok_status();
    }));
    out.reserve(n);
    for (auto& b : batches) {
        for (auto& lr : b) move(out, lr);
        std::vector<LineRecord>().swap(b);
    }
    return out;
}

} // namespace

Result<std::vector<LineRecord>> read_records(std::istream& in, unsigned threads) {
    return gather(
        in, threads, std::vector<LineRecord>{},
        [](std::vector<LineRecord>& out, LineRecord& lr) { out.push_back(std::move(lr)); });
}

void RecordList::reserve(std::size_t n) {
    records.reserve(n);
    lines.reserve(n);
}

Result<RecordList> read_record_list(std::istream& in, unsigned threads) {
    return gather(in, threads, RecordList{}, [](RecordList& out, LineRecord& lr) {
        out.records.push_back(std::move(lr.record));
        out.lines.push_back(lr.line);
    });
}

Result<RecordBatches> read_record_batches(std::istream& in, unsigned threads) {
    RecordBatches out;
    SETM_CHECK(each_record_batch(in, threads, [&](std::vector<LineRecord>&& b) {
        std::vector<Record> records;
        records.reserve(b.size());
        for (auto& lr : b) {
            records.push_back(std::move(lr.record));
            out.lines.push_back(lr.line);
        }
        out.batches.push_back(std::move(records));
        return ok_status();
    }));
    return out;
}

std::vector<Record> RecordBatches::flatten() {
    std::vector<Record> out;
    out.reserve(lines.size());
    for (auto& b : batches) {
        std::move(b.begin(), b.end(), std::back_inserter(out));
        std::vector<Record>().swap(b);
    }
    batches.clear();
    return out;
}

} // namespace setm
