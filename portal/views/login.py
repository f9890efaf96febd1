def login_view(request):
    raise NotImplementedError


def login_code_view(request):
    raise NotImplementedError


def reauth_view(request):
    raise NotImplementedError
