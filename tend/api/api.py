from ninja import NinjaAPI

api = NinjaAPI(title="Tend API", version="1", urls_namespace="api")
