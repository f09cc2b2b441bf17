"""The process-wide operation registry that handler modules decorate into."""

from server.api.routing import Api

api = Api()
