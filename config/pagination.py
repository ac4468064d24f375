from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 100); answers `{count, next, previous, results}`."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """`?page_size=` as documented: a positive whole number (over the maximum is cut to it); anything else is
        a 400, not a silent fall back to the default."""
        value = request.query_params.get(self.page_size_query_param, "")
        if value != "" and not (value.isascii() and value.isdigit() and int(value) > 0):
            raise ValidationError({self.page_size_query_param: ["A page size is a whole number from 1."]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1  # `?page=0` is "Invalid page." (404); `?page_size=0` a 400
        return parameters
