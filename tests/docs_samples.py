"""The docs' sample records, read from openapi.yaml's examples (which copy the docs)."""

from mockserver.web.spec import load_spec

_SPEC = load_spec()


def example(path: str, method: str, status: str, name: str = "docSample"):
    content = _SPEC.resolve(_SPEC.document["paths"][path][method]["responses"][status])["content"]
    return _SPEC.resolve(content["application/json"]["examples"][name])["value"]


def request_example(path: str, method: str, name: str = "docSample"):
    content = _SPEC.resolve(_SPEC.document["paths"][path][method]["requestBody"])["content"]
    return content["application/json"]["examples"][name]["value"]


CUSTOMER_LIST = example("/api/v3/clients", "get", "200")
CREATED_CUSTOMER = example("/api/v3/clients", "post", "201")
TRANSACTIONS_SAMPLE = example("/api/v3/clients/{id}/transactions", "get", "200")
CATEGORY_LIST = example("/api/v3/clients/clients/categories", "get", "200")
ARCHIVE_REQUEST = request_example("/api/v3/clients/{id}/archive", "post")
CATEGORY_REQUEST = request_example("/api/v3/clients/category", "post")
REPORT = example("/api/v3/reports/customers/{from}/{to}", "get", "200")
REPORT_FILTER_REQUEST = request_example("/api/v3/reports/customers/client/{id}/{from}/{to}", "post")
LEGACY_FILTER_REQUEST = request_example("/api/client/transactions/{id}", "post")
STATEMENT_REQUEST = request_example("/api/v3/reports/customers/client/transactions/send/{id}", "post")
INCOME_LIST = example("/api/income", "get", "200")
INCOME_REQUEST = request_example("/api/income", "post")
INCOME_CREATED = example("/api/income", "post", "201")
INCOME_DETAIL = example("/api/income/{incomeId}", "get", "200")
INCOME_UPDATE_REQUEST = request_example("/api/income/{incomeId}", "put")
INCOME_UPDATED = example("/api/income/{incomeId}", "put", "200")
INCOME_DELETED = example("/api/income/{incomeId}", "delete", "200")
