#include "cli/promqltest.h"

#include <memory>

#include "promql/engine.h"
#include "tsdb/head.h"

namespace vigil::cli {

namespace pt = promql::promqltest;

pt::StorageFactory HeadStorageFactory() {
  return []() -> Result<pt::TestStorage> {
    auto head = std::make_shared<tsdb::Head>();
    pt::TestStorage s;
    s.appendable = head.get();
    s.queryable = head.get();
    s.owner = std::move(head);
    return s;
  };
}

pt::RunResult RunPromqlTests(const std::vector<std::string>& files) {
  promql::Engine engine(pt::TestEngineOptions());
  return pt::RunTestFiles(files, &engine, HeadStorageFactory());
}

}  // namespace vigil::cli
