from ninja import NinjaAPI

api = NinjaAPI(title="Caseway API", version="1", docs_url="docs")
