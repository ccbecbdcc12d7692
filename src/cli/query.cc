#include "cli/query.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "http/client.h"
#include "model/duration.h"

namespace vigil::cli {
namespace {

using nlohmann::json;

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Labels(const json& metric) {
  std::string out;
  std::string name;
  for (auto it = metric.begin(); it != metric.end(); ++it) {
    if (it.key() == "__name__") {
      name = it.value().get<std::string>();
      continue;
    }
    if (!out.empty()) out += ", ";
    out += it.key() + "=" + json(it.value()).dump();
  }
  return name + "{" + out + "}";
}

std::string Sample(const json& pair) {
  return pair.at(1).get<std::string>() + " @[" + json(pair.at(0)).dump() + "]";
}

}  // namespace

bool FormatQueryResult(const std::string& body, std::string* text, std::string* error) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "the server's answer is not JSON: " + body.substr(0, 200);
    return false;
  }
  if (j.value("status", "") != "success") {
    *error = j.value("errorType", "error") + ": " + j.value("error", body.substr(0, 200));
    return false;
  }
  try {
    const json& data = j.at("data");
    const std::string type = data.at("resultType").get<std::string>();
    const json& result = data.at("result");
    std::ostringstream out;
    if (type == "vector") {
      for (const json& s : result) out << Labels(s.at("metric")) << " => " << Sample(s.at("value")) << "\n";
    } else if (type == "matrix") {
      for (const json& s : result) {
        out << Labels(s.at("metric")) << " =>\n";
        for (const json& v : s.at("values")) out << "  " << Sample(v) << "\n";
      }
    } else if (type == "scalar" || type == "string") {
      out << Sample(result) << "\n";
    } else {
      *error = "unknown resultType \"" + type + "\"";
      return false;
    }
    *text = out.str();
  } catch (const json::exception& e) {
    *error = std::string("malformed answer: ") + e.what();
    return false;
  }
  return true;
}

int RunQueryCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  std::map<std::string, std::string> flags;
  std::string expr;
  bool insecure = false;
  const std::vector<std::string> with_value = {"--url", "--time", "--start", "--end", "--step",
                                               "--format", "--user", "--bearer-token-file",
                                               "--ca-file", "--timeout"};
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--insecure-skip-verify") {
      insecure = true;
      continue;
    }
    if (a.starts_with("--")) {
      std::string value;
      const size_t eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
      if (std::find(with_value.begin(), with_value.end(), a) == with_value.end()) {
        std::fprintf(err, "vigil query: unknown flag \"%s\"\n", a.c_str());
        return 2;
      }
      if (eq == std::string::npos) {
        if (i + 1 >= args.size()) {
          std::fprintf(err, "vigil query: %s needs a value\n", a.c_str());
          return 2;
        }
        value = args[++i];
      }
      flags[a] = value;
      continue;
    }
    if (!expr.empty()) {
      std::fprintf(err, "vigil query: one expression only (got \"%s\" and \"%s\")\n",
                   expr.c_str(), a.c_str());
      return 2;
    }
    expr = a;
  }
  if (expr.empty()) {
    std::fprintf(err,
                 "usage: vigil query [--url URL] [--time T | --start T --end T [--step DUR]] "
                 "[--format text|json] EXPR\n");
    return 2;
  }
  const std::string format = flags.count("--format") ? flags["--format"] : "text";
  if (format != "text" && format != "json") {
    std::fprintf(err, "vigil query: --format \"%s\" must be text or json\n", format.c_str());
    return 2;
  }
  const bool range = flags.count("--start") || flags.count("--end");
  if (range && !(flags.count("--start") && flags.count("--end"))) {
    std::fprintf(err, "vigil query: a range query needs both --start and --end\n");
    return 2;
  }
  http::ClientOptions co;
  if (flags.count("--timeout")) {
    Result<std::chrono::milliseconds> d = model::ParseDuration(flags["--timeout"]);
    if (!d.ok() || d->count() <= 0) {
      std::fprintf(err, "vigil query: --timeout \"%s\" is not a positive duration\n",
                   flags["--timeout"].c_str());
      return 2;
    }
    co.timeout = *d;
  } else {
    co.timeout = std::chrono::minutes(2);
  }
  if (flags.count("--user")) {
    const std::string& u = flags["--user"];
    const size_t colon = u.find(':');
    co.basic_auth_username = u.substr(0, colon);
    if (colon != std::string::npos) co.basic_auth_password = u.substr(colon + 1);
  }
  if (flags.count("--bearer-token-file")) {
    std::ifstream in(flags["--bearer-token-file"]);
    std::string token;
    if (!in || !std::getline(in, token) || token.empty()) {
      std::fprintf(err, "vigil query: cannot read a token from %s\n",
                   flags["--bearer-token-file"].c_str());
      return 2;
    }
    co.authorization_credentials = token;
  }
  co.tls.ca_file = flags.count("--ca-file") ? flags["--ca-file"] : "";
  co.tls.insecure_skip_verify = insecure;
  std::string url = flags.count("--url") ? flags["--url"] : "http://127.0.0.1:9090";
  while (!url.empty() && url.back() == '/') url.pop_back();
  Result<std::unique_ptr<http::Client>> client = http::Client::Create(url, co);
  if (!client.ok()) {
    std::fprintf(err, "vigil query: %s\n", client.status().ToString().c_str());
    return 2;
  }
  std::string form = "query=" + Escape(expr);
  std::string path = "/api/v1/query";
  if (range) {
    path = "/api/v1/query_range";
    form += "&start=" + Escape(flags["--start"]) + "&end=" + Escape(flags["--end"]) +
            "&step=" + Escape(flags.count("--step") ? flags["--step"] : "1m");
  } else if (flags.count("--time")) {
    form += "&time=" + Escape(flags["--time"]);
  }
  Result<http::ClientResponse> res =
      (*client)->Post(path, form, "application/x-www-form-urlencoded");
  if (!res.ok()) {
    std::fprintf(err, "vigil query: %s%s: %s\n", url.c_str(), path.c_str(),
                 res.status().ToString().c_str());
    return 1;
  }
  std::string text, error;
  if (!FormatQueryResult(res->body, &text, &error)) {
    std::fprintf(err, "vigil query: HTTP %d: %s\n", res->status, error.c_str());
    return 1;
  }
  if (format == "json") {
    std::fprintf(out, "%s\n", res->body.c_str());
  } else {
    std::fputs(text.c_str(), out);
  }
  return 0;
}

}  // namespace vigil::cli
