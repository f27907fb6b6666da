#include "record_stream.hpp"

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

Result<std::vector<LineRecord>> read_records(std::istream& in) {
    std::vector<LineRecord> out;
    SETM_CHECK(each_object(in, [&](const rapidjson::Value& obj, std::size_t line) -> Status {
        SETM_TRY(Record r, record_from_json(obj));
        out.push_back(LineRecord{std::move(r), line});
        return ok_status();
    }));
    return out;
}

} // namespace setm
