-- wrk: POST a new customer (the body the docs' sample sends) with a bearer token.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = '{"business_name":"Bench Ltd","business_address":"1 Ring Road","business_phone":"0244000000","business_email":"bench@example.com","category_id":1}'
