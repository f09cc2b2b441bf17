"""The process-wide operation registry that handler modules decorate into."""

from server.http.routing import Api

api = Api()
