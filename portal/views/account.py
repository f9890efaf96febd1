def logout_view(request):
    raise NotImplementedError


def security_view(request):
    raise NotImplementedError


def logout_other_sessions_view(request):
    raise NotImplementedError


def password_change_view(request):
    raise NotImplementedError


def account_events_view(request, username):
    raise NotImplementedError
